"""Production refuses to start with a missing secret, a development default or the sandbox."""

from __future__ import annotations

import pytest

from app import create_app
from checkout.extensions import db
from config import (
    DEV_GATEWAY_SECRET,
    DEV_MERCHANT_API_KEY,
    DEV_MERCHANT_ID,
    DEV_SECRET_KEY,
    DEV_SITE_ID,
    ProductionConfig,
)
from tests.conftest import PRODUCTION_SETTINGS


@pytest.fixture
def production(tmp_path):
    """Build a production app from PRODUCTION_SETTINGS with some replaced."""

    def build(**overrides):
        settings = {
            **PRODUCTION_SETTINGS,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            **overrides,
        }
        return create_app(ProductionConfig, settings)

    return build


def test_good_production_settings_start_without_the_sandbox(production):
    app = production()
    assert "sandbox" not in app.blueprints
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/", base_url="https://shop.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert app.test_client().get("/sandbox/api/jsapi/open/x/").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"GATEWAY_SECRET": None}, "GATEWAY_SECRET"),
        ({"GATEWAY_SECRET": DEV_GATEWAY_SECRET}, "GATEWAY_SECRET"),
        ({"MERCHANT_ID": ""}, "MERCHANT_ID"),
        ({"MERCHANT_ID": DEV_MERCHANT_ID}, "MERCHANT_ID"),
        ({"SITE_ID": DEV_SITE_ID}, "SITE_ID"),
        ({"SITE_ID": "abc"}, "SITE_ID"),
        ({"PUBLIC_BASE_URL": None}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "http://shop.example"}, "PUBLIC_BASE_URL"),
        ({"SQLALCHEMY_DATABASE_URI": None}, "DATABASE_URL"),
        ({"GATEWAY_BASE_URL": None}, "GATEWAY_BASE_URL"),
        ({"GATEWAY_BASE_URL": "http://cactusgino.com"}, "GATEWAY_BASE_URL"),
        ({"GATEWAY_BASE_URL": "cactusgino.com"}, "GATEWAY_BASE_URL"),
        ({"GATEWAY_SIGNATURE_SCHEME": "sha1"}, "GATEWAY_SIGNATURE_SCHEME"),
        ({"CALLBACK_ALLOWED_NETWORKS": ["10.0.0.0/33"]}, "CALLBACK_ALLOWED_NETWORKS"),
        ({"CHECKOUT_CURRENCIES": ["KZT", "XYZ"]}, "CHECKOUT_CURRENCIES"),
        ({"CHECKOUT_MAX_AMOUNT": "0"}, "CHECKOUT_MAX_AMOUNT"),
        ({"CUSTOMER_TYPE": "vip"}, "CUSTOMER_TYPE"),
        ({"CALLBACK_STATUS_MAP": {"ok": "done"}}, "GATEWAY_STATUS_MAP"),
        ({"MERCHANT_API_KEY": DEV_MERCHANT_API_KEY}, "MERCHANT_API_KEY"),
        ({"MERCHANT_API_KEY": "k" * 31}, "MERCHANT_API_KEY"),
    ],
)
def test_bad_production_settings_are_refused_by_name(production, overrides, named):
    with pytest.raises(SystemExit) as refusal:
        production(**overrides)
    assert named in str(refusal.value)


def test_sandbox_runs_in_production_only_when_asked_for(production):
    app = production(GATEWAY_BASE_URL=None, SANDBOX_ENABLED=True)
    assert "sandbox" in app.blueprints


def test_sandbox_is_never_mounted_beside_another_gateway(production):
    app = production(SANDBOX_ENABLED=True)
    assert "sandbox" not in app.blueprints


def test_proxy_fix_trusts_the_configured_proxy(production):
    app = production(PROXY_FIX_HOPS=1)

    @app.get("/whoami")
    def whoami():
        from flask import request

        return {"ip": request.remote_addr, "scheme": request.scheme}

    response = app.test_client().get(
        "/whoami",
        headers={"X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert response.json == {"ip": "198.51.100.9", "scheme": "https"}


def test_development_without_sandbox_or_gateway_is_refused(tmp_path):
    from config import Config

    with pytest.raises(SystemExit) as refusal:
        create_app(
            Config,
            {
                "SANDBOX_ENABLED": False,
                "GATEWAY_BASE_URL": None,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
            },
        )
    assert "GATEWAY_BASE_URL" in str(refusal.value)


API_ROUTES = [
    ("post", "/api/v1/checkouts"),
    ("get", "/api/v1/checkouts/x"),
    ("get", "/api/v1/orders/x"),
    ("get", "/api/v1/openapi.json"),
]


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_without_an_api_key_production_has_no_api(production, method, path):
    client = production(MERCHANT_API_KEY=None).test_client()
    response = getattr(client, method)(
        path, json={"site_login": "alice"}, headers={"Authorization": "Bearer "}
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_production_api_takes_the_configured_key_only(production):
    key = "m" * 40
    app = production(MERCHANT_API_KEY=key)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    body = {"site_login": "alice"}
    for refused in (DEV_MERCHANT_API_KEY, key[:-1], key + "m"):
        headers = {"Authorization": f"Bearer {refused}"}
        assert client.post("/api/v1/checkouts", json=body, headers=headers).status_code == 401
    headers = {"Authorization": f"Bearer {key}"}
    answer = client.post("/api/v1/checkouts", json=body, headers=headers, base_url="https://x")
    assert answer.status_code == 201
    assert answer.get_json()["url"].startswith("https://shop.example/c/")

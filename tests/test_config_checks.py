"""Start-up checks: every environment refuses a setting that cannot work, naming it and
saying what is wrong; production also refuses a missing secret, a development default or the
sandbox, and says loudly at start which settings work but are risky."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from checkout import config_checks
from checkout.extensions import db
from config import (
    DEV_GATEWAY_SECRET,
    DEV_MERCHANT_API_KEY,
    DEV_MERCHANT_ID,
    DEV_SECRET_KEY,
    DEV_SITE_ID,
    DEV_WEBHOOK_SECRET,
    Config,
    ConfigError,
    ProductionConfig,
)
from tests.support.apps import PRODUCTION_SETTINGS
from tests.support.logs import logged
from tests.support.webhooks import SECRET

WEBHOOKS = {"MERCHANT_WEBHOOK_URL": "https://shop.example/hooks", "MERCHANT_WEBHOOK_SECRET": SECRET}


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("GATEWAY_SIGNATURE_SCHEME", "sha1", "GATEWAY_SIGNATURE_SCHEME: "),
        ("CHECKOUT_CURRENCIES", ["KZT", "kzt"], "CHECKOUT_CURRENCIES: 'kzt' is not an ISO 4217"),
        ("CHECKOUT_MAX_AMOUNT", "-5", "CHECKOUT_MAX_AMOUNT: '-5' is not a positive amount in"),
        ("CHECKOUT_MAX_AMOUNT", "1.001", "CHECKOUT_MAX_AMOUNT: '1.001' is not a positive amount"),
        ("MERCHANT_ID", "shop=1", "MERCHANT_ID must not contain &, = or control characters"),
        ("PUBLIC_BASE_URL", "https://a.example/?x&y", "PUBLIC_BASE_URL must not contain &, ="),
        ("PUBLIC_BASE_URL", "shop.example", "PUBLIC_BASE_URL must be an http(s) URL"),
        ("SITE_ID", "4 2", "SITE_ID must be the integer site id"),
        ("CHECKOUT_RATE_LIMIT", "often", "CHECKOUT_RATE_LIMIT: 'often' is not a rate limit"),
        ("GATEWAY_TIMEOUT", "10", "GATEWAY_TIMEOUT must be a positive number of seconds, not '10'"),
        ("CALLBACK_MAX_BYTES", 0, "CALLBACK_MAX_BYTES must be a positive number of bytes"),
        ("PROXY_FIX_HOPS", -1, "PROXY_FIX_HOPS must be a whole number, not -1"),
        ("WORKERS", 1.5, "WEB_CONCURRENCY must be a whole number, not 1.5"),
        ("SANDBOX_CALLBACK_BACKOFF", -1, "SANDBOX_CALLBACK_BACKOFF must be a number of seconds"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of console, json"),
        ("CUSTOMER_TYPE", "vip", "CUSTOMER_TYPE must be 'trust' or 'regular'"),
        ("CALLBACK_STATUS_MAP", {"ok": "done"}, "GATEWAY_STATUS_MAP: 'ok' maps to unknown state"),
        (
            "CALLBACK_ALLOWED_NETWORKS",
            ["10.0.0.1/8/8"],
            "CALLBACK_ALLOWED_NETWORKS: '10.0.0.1/8/8'",
        ),
        ("GATEWAY_ALLOWED_REDIRECT_HOSTS", ["a b"], "GATEWAY_ALLOWED_REDIRECT_HOSTS: 'a b' is not"),
        ("GATEWAY_BASE_URL", "ftp://gw.example", "GATEWAY_BASE_URL must be an http(s) URL"),
        ("MERCHANT_WEBHOOK_URL", "shop/hooks", "MERCHANT_WEBHOOK_URL must be an http(s) URL"),
        ("WEBHOOK_RETRY_DELAYS", ["soon"], "WEBHOOK_RETRY_DELAYS: 'soon' is not a number"),
        ("WEBHOOK_CLAIM_BATCH", 0, "WEBHOOK_CLAIM_BATCH must be a whole number from 1 to 1000"),
        ("WEBHOOK_CLAIM_LEASE", 1.0, "WEBHOOK_CLAIM_LEASE must be longer than WEBHOOK_TIMEOUT"),
        ("HOUSEKEEPING_INTERVAL", 0, "HOUSEKEEPING_INTERVAL must be a positive number of seconds"),
        ("ORDERS_EXPIRE_AFTER", "soon", "ORDERS_EXPIRE_AFTER: 'soon' is not a duration"),
        ("ORDERS_EXPIRE_AFTER", "5s", "ORDERS_EXPIRE_AFTER must be longer than GATEWAY_TIMEOUT"),
        ("TRUSTED_LOGINS", "vip", "TRUSTED_LOGINS was removed"),
    ],
)
def test_every_environment_refuses_a_setting_that_cannot_work(app, setting, value, message):
    """Checked on the testing app's own settings with one replaced: not production's rules."""
    config = {**app.config, setting: value}
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        config_checks.check(config)


def test_the_testing_settings_pass_every_check(app):
    config_checks.check(app.config)
    assert config_checks.warnings(app.config) == []


def test_a_webhook_url_needs_a_whsec_secret_in_every_environment(app):
    config = {**app.config, "MERCHANT_WEBHOOK_URL": "http://localhost/hooks"}
    for secret, problem in [
        (None, "must start with whsec_"),
        ("whsec_!!", "must be whsec_ followed"),
    ]:
        with pytest.raises(ConfigError, match=f"^MERCHANT_WEBHOOK_SECRET {problem}"):
            config_checks.check({**config, "MERCHANT_WEBHOOK_SECRET": secret})


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
        ({"METRICS_TOKEN": "t" * 31}, "METRICS_TOKEN"),
        ({"GATEWAY_SECRET": None}, "GATEWAY_SECRET"),
        ({"GATEWAY_SECRET": DEV_GATEWAY_SECRET}, "GATEWAY_SECRET"),
        ({"MERCHANT_ID": ""}, "MERCHANT_ID"),
        ({"MERCHANT_ID": DEV_MERCHANT_ID}, "MERCHANT_ID"),
        ({"MERCHANT_ID": "super&key"}, "MERCHANT_ID"),
        ({"PUBLIC_BASE_URL": "https://shop.example/?shop=1"}, "PUBLIC_BASE_URL"),
        ({"SITE_ID": DEV_SITE_ID}, "SITE_ID"),
        ({"SITE_ID": "abc"}, "SITE_ID"),
        ({"SITE_ID": "09999"}, "SITE_ID"),
        ({"SITE_ID": "\uff19\uff19"}, "SITE_ID"),  # full-width digits: isdigit(), not ASCII
        ({"GATEWAY_SECRET": "x"}, "GATEWAY_SECRET"),
        ({"GATEWAY_SECRET": "fifteen-chars-x"}, "GATEWAY_SECRET"),
        ({"CHECKOUT_RATE_LIMIT": "garbage"}, "CHECKOUT_RATE_LIMIT"),
        ({"CHECKOUT_RATE_LIMIT": None}, "CHECKOUT_RATE_LIMIT"),
        ({"ADMIN_LOGIN_RATE_LIMIT": "5 per fortnight"}, "ADMIN_LOGIN_RATE_LIMIT"),
        ({"GATEWAY_TIMEOUT": 0.0}, "GATEWAY_TIMEOUT"),
        ({"GATEWAY_TIMEOUT": -1.0}, "GATEWAY_TIMEOUT"),
        ({"GATEWAY_TIMEOUT": float("nan")}, "GATEWAY_TIMEOUT"),
        ({"GATEWAY_TIMEOUT": float("inf")}, "GATEWAY_TIMEOUT"),
        ({"GATEWAY_CONNECT_TIMEOUT": 0.0}, "GATEWAY_CONNECT_TIMEOUT"),
        ({"CALLBACK_MAX_BYTES": 0}, "CALLBACK_MAX_BYTES"),
        ({"CALLBACK_MAX_BYTES": 1023}, "CALLBACK_MAX_BYTES"),
        ({"DEBUG": True}, "FLASK_DEBUG"),
        ({"GATEWAY_ALLOWED_REDIRECT_HOSTS": ["pay.example; script-src *"]}, "REDIRECT_HOSTS"),
        ({"GATEWAY_ALLOWED_REDIRECT_HOSTS": ["https://pay.example"]}, "REDIRECT_HOSTS"),
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
        ({"TRUSTED_LOGINS": "vip,boss"}, "TRUSTED_LOGINS was removed"),
        ({**WEBHOOKS, "MERCHANT_WEBHOOK_URL": "http://shop.example/hooks"}, "MERCHANT_WEBHOOK_URL"),
        ({**WEBHOOKS, "MERCHANT_WEBHOOK_SECRET": None}, "MERCHANT_WEBHOOK_SECRET"),
        ({**WEBHOOKS, "MERCHANT_WEBHOOK_SECRET": DEV_WEBHOOK_SECRET}, "MERCHANT_WEBHOOK_SECRET"),
        ({**WEBHOOKS, "MERCHANT_WEBHOOK_SECRET": "whsec_c2hvcnQ="}, "MERCHANT_WEBHOOK_SECRET"),
        ({**WEBHOOKS, "MERCHANT_WEBHOOK_SECRET": "x" * 40}, "MERCHANT_WEBHOOK_SECRET"),
    ],
)
def test_bad_production_settings_are_refused_by_name(production, overrides, named):
    with pytest.raises(SystemExit) as refusal:
        production(**overrides)
    assert named in str(refusal.value)


def test_production_sends_webhooks_with_an_https_url_and_a_real_secret(production):
    app = production(**WEBHOOKS)
    assert app.config["MERCHANT_WEBHOOK_URL"] == "https://shop.example/hooks"
    assert app.config["WEBHOOK_IN_PROCESS"] is False, "production delivers with workers"


def test_production_without_webhooks_needs_no_webhook_secret(production):
    app = production(MERCHANT_WEBHOOK_URL=None, MERCHANT_WEBHOOK_SECRET=None)
    assert app.config["MERCHANT_WEBHOOK_URL"] is None


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


def test_the_smallest_accepted_settings_start(production):
    app = production(
        GATEWAY_SECRET="sixteen-chars-xy",
        SITE_ID="10000",
        GATEWAY_TIMEOUT=0.5,
        CALLBACK_MAX_BYTES=1024,
        CHECKOUT_RATE_LIMIT="1 per second",
    )
    assert app.config["SITE_ID"] == "10000"


def warnings_logged(caplog) -> list[dict]:
    return logged(caplog, "config_warning")


@pytest.mark.parametrize("single_instance", [False, True])
def test_per_process_rate_limits_with_several_workers_stop_start_up(production, single_instance):
    with pytest.raises(SystemExit) as refusal:
        production(
            WORKERS=4, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_SINGLE_INSTANCE=single_instance
        )
    assert "RATELIMIT_STORAGE_URI=memory:// counts in each of the 4 workers" in str(refusal.value)
    assert "redis://" in str(refusal.value)


def test_per_process_rate_limits_need_the_operator_to_state_one_instance(production):
    with pytest.raises(SystemExit) as refusal:
        production(WORKERS=1, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_SINGLE_INSTANCE=False)
    assert "RATELIMIT_SINGLE_INSTANCE=1" in str(refusal.value)


def test_one_stated_instance_with_per_process_limits_is_a_loud_warning(production, caplog):
    production(WORKERS=1, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_SINGLE_INSTANCE=True)
    [warning] = warnings_logged(caplog)
    assert warning["setting"] == "RATELIMIT_STORAGE_URI"
    assert "allowed because RATELIMIT_SINGLE_INSTANCE=1" in warning["reason"]
    assert [r.levelno for r in caplog.records if r.msg is warning] == [logging.WARNING]


def test_per_process_rate_limits_with_several_development_workers_are_a_loud_warning(caplog):
    create_app(Config, {"WORKERS": 3, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    [warning] = warnings_logged(caplog)
    assert "3 workers" in warning["reason"] and "admin sign-in" in warning["reason"]


def test_the_sandbox_in_production_is_a_loud_warning(production, caplog):
    production(GATEWAY_BASE_URL=None, SANDBOX_ENABLED=True, RATELIMIT_STORAGE_URI="redis://x")
    [warning] = warnings_logged(caplog)
    assert warning["setting"] == "SANDBOX_ENABLED" and "no money moves" in warning["reason"]


def test_a_shared_store_and_a_live_gateway_start_without_warnings(production, caplog):
    production(WORKERS=8, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
    assert warnings_logged(caplog) == []


def test_production_forms_need_a_same_origin_referer_and_we_never_strip_it(production):
    app = production(ADMIN_USERNAME="merchant", ADMIN_PASSWORD="a long admin passphrase")
    with app.app_context():
        db.create_all()  # production migrates with `flask db upgrade` instead
    client = app.test_client()
    base = "https://shop.example"
    page = client.get("/admin/login", base_url=base)
    # Same-origin posts keep their full Referer under our policy (Flask-WTF needs one).
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    data = {"username": "merchant", "password": "a long admin passphrase", "csrf_token": token}

    def post(**headers):
        return client.post("/admin/login", data=data, base_url=base, headers=headers)

    assert post().status_code == 400
    assert post(Referer="https://elsewhere.example/admin/login").status_code == 400
    assert post(Referer=f"{base}/admin/login").status_code == 303


def start_from_environment(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    """Create the app in a new process from real environment variables, as a deploy would."""
    environment = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", "from app import create_app; create_app()"],
        env=environment,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_trusted_logins_in_the_environment_stop_start_up_saying_why(tmp_path):
    started = start_from_environment(tmp_path, TRUSTED_LOGINS="vip")
    assert started.returncode == 1
    assert "Configuration error: TRUSTED_LOGINS was removed: a login typed into the open form" in (
        started.stderr
    )


@pytest.mark.slow  # a Python process per setting
@pytest.mark.parametrize(
    "variable",
    [
        "GATEWAY_TIMEOUT",
        "GATEWAY_CONNECT_TIMEOUT",
        "CALLBACK_MAX_BYTES",
        "WEB_CONCURRENCY",
        "PROXY_FIX_HOPS",
        "SANDBOX_CALLBACK_TRIES",
        "SANDBOX_CALLBACK_BACKOFF",
        "SANDBOX_SCENARIO_DELAY",
    ],
)
def test_a_number_setting_that_is_not_a_number_is_refused_by_name(tmp_path, variable):
    started = start_from_environment(tmp_path, **{variable: "ten"})
    assert started.returncode == 1
    assert "Traceback" not in started.stderr
    assert f"Configuration error: {variable} must be" in started.stderr

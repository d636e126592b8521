"""The back office: off without credentials, and only for the merchant who signed in."""

from __future__ import annotations

import re

import pytest

from app import create_app
from checkout.admin import auth
from config import ConfigError, ProductionConfig, TestingConfig
from tests.support.admin import CREDENTIALS, PASSWORD, USERNAME, sign_in
from tests.support.apps import PRODUCTION_SETTINGS, close_app, make_app

PAGES = ["/admin/", "/admin", "/admin/orders.csv", "/admin/orders/some-order"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_visitors_without_a_session_to_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 303
    assert response.location.startswith("/admin/login?next=")


def test_right_credentials_open_the_orders_list(client):
    response = sign_in(client)
    assert response.status_code == 303
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [
        (USERNAME, "wrong password"),
        ("someone", PASSWORD),
        (USERNAME, PASSWORD + " "),
        (USERNAME.upper(), PASSWORD),
    ],
)
def test_wrong_credentials_are_refused(client, username, password):
    response = sign_in(client, username, password)
    assert response.status_code == 403
    assert "Wrong username or password." in response.text
    assert client.get("/admin/").status_code == 303


def test_empty_login_form_asks_for_both_fields(client):
    response = sign_in(client, "", "")
    assert response.status_code == 422
    assert "Enter your username." in response.text
    assert "Enter your password." in response.text


def test_sign_in_returns_to_the_page_asked_for(client):
    response = client.post(
        "/admin/login?next=/admin/orders/abc%3Fx",
        data={"username": USERNAME, "password": PASSWORD},
    )
    assert response.location == "/admin/orders/abc?x"


@pytest.mark.parametrize(
    "target", ["https://evil.example/admin", "//evil.example/admin", "/\\evil.example", "/orders"]
)
def test_sign_in_never_sends_the_merchant_elsewhere(client, target):
    response = client.post(
        "/admin/login",
        query_string={"next": target},
        data={"username": USERNAME, "password": PASSWORD},
    )
    assert response.location == "/admin/"


def test_sign_out_ends_the_session(client):
    sign_in(client)
    response = client.post("/admin/logout")
    assert response.status_code == 303
    assert client.get("/admin/").status_code == 303


def test_a_new_password_signs_everyone_out(app, client):
    sign_in(client)
    app.config["ADMIN_PASSWORD"] = "a brand new password"
    assert client.get("/admin/").status_code == 303


def test_a_session_older_than_the_limit_is_refused(client):
    sign_in(client)
    with client.session_transaction() as session:
        data = dict(session[auth.SESSION_KEY])
        data["since"] -= auth.MAX_SESSION_SECONDS + 1
        session[auth.SESSION_KEY] = data
    assert client.get("/admin/").status_code == 303


def test_a_forged_session_value_is_refused(client):
    with client.session_transaction() as session:
        session[auth.SESSION_KEY] = {"account": "guess", "since": 2**40}
    assert client.get("/admin/").status_code == 303


def test_admin_pages_are_never_cached(client):
    sign_in(client)
    response = client.get("/admin/")
    assert response.headers["Cache-Control"] == "no-store"


def test_login_form_needs_its_csrf_token(sqlite_url):
    app = make_app(sqlite_url, WTF_CSRF_ENABLED=True, **CREDENTIALS)
    try:
        client = app.test_client()
        assert sign_in(client).status_code == 400
        page = client.get("/admin/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            "/admin/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303
    finally:
        close_app(app)


@pytest.mark.parametrize("path", PAGES + ["/admin/login"])
def test_no_back_office_without_credentials(sqlite_url, path):
    app = make_app(sqlite_url, ADMIN_USERNAME=None, ADMIN_PASSWORD=None)
    try:
        assert app.test_client().get(path).status_code == 404
    finally:
        close_app(app)


def test_no_back_office_in_production_without_credentials(tmp_path):
    settings = {
        **PRODUCTION_SETTINGS,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "ADMIN_USERNAME": None,
        "ADMIN_PASSWORD": None,
    }
    app = create_app(ProductionConfig, settings)
    client = app.test_client()
    for path in ["/admin/", "/admin/login"]:
        assert client.get(path, base_url="https://shop.example").status_code == 404


def test_production_refuses_a_short_admin_password(tmp_path):
    settings = {
        **PRODUCTION_SETTINGS,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "ADMIN_USERNAME": "merchant",
        "ADMIN_PASSWORD": "short",
    }
    with pytest.raises(SystemExit, match="ADMIN_PASSWORD"):
        create_app(ProductionConfig, settings)


@pytest.mark.parametrize(
    "settings", [{"ADMIN_USERNAME": "merchant"}, {"ADMIN_PASSWORD": "a password alone"}]
)
def test_half_set_credentials_refuse_to_start(sqlite_url, settings):
    with pytest.raises(SystemExit, match="ADMIN_USERNAME and ADMIN_PASSWORD"):
        make_app(sqlite_url, **{"ADMIN_USERNAME": None, "ADMIN_PASSWORD": None, **settings})


@pytest.mark.parametrize(
    "app_overrides",
    [
        {
            "ADMIN_USERNAME": "merchant",
            "ADMIN_PASSWORD": "correct horse battery",
            "RATELIMIT_ENABLED": True,
            "ADMIN_LOGIN_RATE_LIMIT": "2 per minute",
        }
    ],
)
def test_password_guessing_is_rate_limited(client):
    def guess():
        return client.post("/admin/login", data={"username": "merchant", "password": "nope"})

    assert [guess().status_code for _ in range(2)] == [403, 403]
    assert guess().status_code == 429


def copy_session(source, target) -> None:
    """Give `target` the session cookie of `source`, as a thief would copy it."""
    target.set_cookie("session", source.get_cookie("session").value)


def test_sign_out_revokes_a_copied_session_cookie(app, client):
    sign_in(client)
    thief = app.test_client()
    copy_session(client, thief)
    assert thief.get("/admin/").status_code == 200
    client.post("/admin/logout")
    assert thief.get("/admin/").status_code == 303
    sign_in(client)  # signing in again gives a new session that works
    assert client.get("/admin/").status_code == 200
    assert thief.get("/admin/").status_code == 303


def test_sign_out_on_one_worker_revokes_the_session_on_every_other(database_url):
    # Two apps on one database stand for two workers (or machines) behind the proxy.
    first = make_app(database_url, **CREDENTIALS)
    second = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": database_url, **CREDENTIALS})
    try:
        browser, elsewhere = first.test_client(), second.test_client()
        sign_in(browser)
        copy_session(browser, elsewhere)
        assert elsewhere.get("/admin/").status_code == 200
        browser.post("/admin/logout")
        assert elsewhere.get("/admin/").status_code == 303
    finally:
        close_app(second)
        close_app(first)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ADMIN_USERNAME": "merchant"}, "ADMIN_USERNAME and ADMIN_PASSWORD"),
        (
            {"ADMIN_USERNAME": "merchant", "ADMIN_PASSWORD": "short", "APP_ENV": "production"},
            "ADMIN_PASSWORD must have at least",
        ),
    ],
)
def test_bad_credentials_raise_the_one_configuration_error(settings, message):
    with pytest.raises(ConfigError, match=message):
        auth.check_config(settings)

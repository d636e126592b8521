"""Shared fixtures: a fresh app and database per test, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from werkzeug.serving import make_server

from app import create_app
from checkout import plugin_schemas
from checkout.extensions import db
from config import TestingConfig
from tests.fake_gateway import shared_gateway

# Settings a production app starts with (secrets and URLs no longer development defaults).
PRODUCTION_SETTINGS = {
    "SECRET_KEY": "k" * 48,
    "GATEWAY_SECRET": "live-gateway-secret",
    "MERCHANT_ID": "superkey",
    "SITE_ID": "42",
    "PUBLIC_BASE_URL": "https://shop.example",
    "GATEWAY_BASE_URL": "https://cactusgino.com",
    # One process, as the Flask test client is; production refuses memory:// otherwise.
    "RATELIMIT_SINGLE_INSTANCE": True,
}

# Property tests: a quick look on a laptop, a thorough one in CI (`CI=true`). Requests go
# through the database, so no per-example deadline.
settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")

POSTGRES_HINT = (
    "PostgreSQL tests need TEST_DATABASE_URL, e.g. "
    "postgresql+psycopg://checkout:checkout@127.0.0.1/checkout_test "
    "(CI sets it; see docs/testing.md)"
)


def postgres_url() -> str | None:
    """Return the PostgreSQL URL for tests, if this machine provides one."""
    return os.environ.get("TEST_DATABASE_URL") or None


def make_app(database_url: str, **overrides: object) -> Flask:
    """Create a test app on an empty database, its plug-ins' tables included.

    Its gateway is the fake one (real HTTP, a new key for each payment) unless
    `GATEWAY_BASE_URL` is given: None leaves the choice to the plug-ins.
    """
    settings = {"GATEWAY_BASE_URL": shared_gateway().url, **overrides}
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": database_url, **settings})
    with app.app_context():
        db.drop_all()
        db.create_all()
    plugin_schemas.recreate_tables(app)
    return app


def migrate_to_head(app: Flask) -> None:
    """Rebuild the app's schema through the migrations, as `flask db upgrade` does, its
    plug-ins' through theirs."""
    import flask_migrate
    from sqlalchemy import text

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        flask_migrate.upgrade(directory=app.extensions["migrate"].directory)
    plugin_schemas.drop_tables(app)
    plugin_schemas.upgrade(app)


def close_app(app: Flask) -> None:
    """Stop the app's plug-ins (their listeners and threads) and release its database
    connections."""
    for extension in list(app.extensions.values()):
        # A plug-in keeps its machinery in app.extensions, with a shutdown() to stop it.
        if type(extension).__module__.startswith("checkout.") and hasattr(extension, "shutdown"):
            extension.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Run the test once per database engine (PostgreSQL skipped without TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return required_postgres_url()


def required_postgres_url() -> str:
    """Return the PostgreSQL URL, skipping the test without one (failing it in CI)."""
    url = postgres_url()
    if url is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must provide TEST_DATABASE_URL: " + POSTGRES_HINT)
        pytest.skip(POSTGRES_HINT)
    return url


REDIS_HINT = (
    "Redis tests need TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0 "
    "(apt-get install redis-server; CI sets it; see docs/testing.md)"
)


def required_redis_url() -> str:
    """Return the Redis URL for tests, skipping the test without one (failing it in CI)."""
    url = os.environ.get("TEST_REDIS_URL") or None
    if url is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must provide TEST_REDIS_URL: " + REDIS_HINT)
        pytest.skip(REDIS_HINT)
    return url


@pytest.fixture
def pg_app() -> Iterator[tuple[Flask, str]]:
    """An app on a fresh PostgreSQL schema, and its database URL."""
    url = required_postgres_url()
    app = make_app(url)
    yield app, url
    close_app(app)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app_overrides() -> dict:
    """Override in a test module to change the app's settings."""
    return {}


@pytest.fixture
def app(sqlite_url: str, app_overrides: dict) -> Iterator[Flask]:
    app = make_app(sqlite_url, **app_overrides)
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@dataclass
class LiveServer:
    """The app served over real HTTP on a free loopback port."""

    app: Flask
    url: str


def serve(app: Flask) -> tuple[LiveServer, callable]:
    """Serve an app on a free port in a thread; return it and a function that stops it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = url
    # A short poll interval lets shutdown() return at once instead of after half a second.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return LiveServer(app, url), stop


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server, stop = serve(app)
    yield server
    stop()


CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TOKEN_FIELD = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')


def form_tokens(html: str) -> dict[str, str]:
    """Return the hidden tokens of a rendered checkout form."""
    tokens = {"submission_token": TOKEN_FIELD.search(html).group(1)}
    csrf = CSRF_FIELD.search(html)
    if csrf:
        tokens["csrf_token"] = csrf.group(1)
    return tokens


def checkout_data(html: str, **fields: str) -> dict[str, str]:
    """Return a valid checkout submission for a rendered form, with `fields` overriding."""
    data = {
        "amount": "90.00",
        "currency": "KZT",
        "method": "card",
        "bank_app": "",
        "language": "EN",
        "site_login": "alice",
    }
    return {**data, **form_tokens(html), **fields}


def make_order(status: str = "pending", **fields: object):
    """Create an order directly (inside an app context), for tests where the gateway is not
    the point."""
    import secrets

    from checkout.models import Order

    values = {
        "submission_token": secrets.token_urlsafe(16),
        "amount": 9000,
        "currency": "KZT",
        "method": "card",
        "language": "EN",
        "bank_app": None,
        "site_login": "alice",
        "customer_type": "regular",
        "status": status,
        "gateway_key": "key-" + secrets.token_urlsafe(8),
        **fields,
    }
    order = Order(**values)
    db.session.add(order)
    db.session.commit()
    db.session.refresh(order)  # loaded, so usable after the app context ends
    return order

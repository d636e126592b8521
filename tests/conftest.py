"""Shared fixtures: a fresh app and database per test, on SQLite or PostgreSQL.

Helpers live in `tests/support/`; this file holds fixtures and the collection hook that
marks the tests needing PostgreSQL or a browser (see docs/testing.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.support import profiles
from tests.support.apps import PRODUCTION_SETTINGS, close_app, make_app
from tests.support.checkout import CSRF_FIELD, checkout_data, form_tokens
from tests.support.gunicorn import Served, gunicorn
from tests.support.live import LiveServer, serve
from tests.support.services import required_postgres_url

profiles.load()

# Transitional: the sandbox's and the demo shop's tests still import these from here; they
# will import them from tests.support once they move to their own folders.
__all__ = ["CSRF_FIELD", "PRODUCTION_SETTINGS", "checkout_data", "form_tokens"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what needs PostgreSQL or Chromium, by the fixtures it asks for, so that
    `-m "not postgres"` or `-m "not browser"` leaves it out."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        fixtures = getattr(item, "fixturenames", ())
        # database_url, and the module-wide apps of the fuzz tests, take "postgresql" as a param.
        on_postgres = callspec is not None and "postgresql" in callspec.params.values()
        if on_postgres or "pg_app" in fixtures:
            item.add_marker(pytest.mark.postgres)
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Run the test once per database engine (PostgreSQL skipped without TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return required_postgres_url()


@pytest.fixture
def pg_app() -> Iterator[tuple[Flask, str]]:
    """An app on a fresh PostgreSQL schema, and its database URL."""
    url = required_postgres_url()
    app = make_app(url)
    yield app, url
    close_app(app)


@pytest.fixture
def pg_gunicorn(pg_app: tuple[Flask, str], tmp_path: Path) -> Iterator[Served]:
    """The app on pg_app's database under gunicorn with four sync workers, logging JSON."""
    _, url = pg_app
    env = {"APP_ENV": "testing", "DATABASE_URL": url, "LOG_FORMAT": "json"}
    log_path = tmp_path / "gunicorn.log"
    with gunicorn(
        env=env, workers=4, worker_class="sync", config_file=False, log_path=log_path
    ) as served:
        yield served


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
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server, stop = serve(app)
    yield server
    stop()

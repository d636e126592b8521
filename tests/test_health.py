"""/livez says the process is alive; /healthz also that its database answers; /readyz whether
this instance can serve traffic."""

from __future__ import annotations

import flask_migrate
import pytest
from sqlalchemy import text

from app import create_app
from checkout.extensions import db
from config import TestingConfig
from tests.support.apps import close_app, make_app, migrate_to_head
from tests.support.fake_gateway import refused_url
from tests.support.services import required_redis_url

FIRST_REVISION = "f481a6470f64"


@pytest.fixture
def migrated(database_url):
    """An app whose database was built by the migrations, on SQLite and PostgreSQL."""
    app = make_app(database_url)
    migrate_to_head(app)
    yield app
    close_app(app)


def test_livez_answers_without_the_database_and_healthz_says_it_is_down():
    port = refused_url().rsplit(":", 1)[1]
    unreachable = f"postgresql+psycopg://checkout:checkout@127.0.0.1:{port}/checkout"
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": unreachable})
    try:
        client = app.test_client()
        response = client.get("/livez")
        assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
        health = client.get("/healthz")
        assert (health.status_code, health.get_json()) == (
            503,
            {"status": "error", "database": "unavailable"},
        )
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json() == {"status": "not_ready", "checks": {"database": "unavailable"}}
    finally:
        close_app(app)


def test_ready_when_the_database_is_at_the_head_revision(migrated):
    response = migrated.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }


def test_not_ready_behind_the_head_revision(migrated):
    with migrated.app_context():
        flask_migrate.stamp(
            directory=migrated.extensions["migrate"].directory, revision=FIRST_REVISION
        )
    response = migrated.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "not_at_head"}


def test_not_ready_before_any_migration(database_url):
    app = make_app(database_url)  # tables made by create_all: no revision recorded
    try:
        with app.app_context():
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["checks"] == {"database": "ok", "migrations": "not_migrated"}
    finally:
        close_app(app)


def test_readiness_follows_the_rate_limit_storage(sqlite_url):
    app = make_app(sqlite_url, RATELIMIT_STORAGE_URI=refused_url().replace("http", "redis"))
    try:
        migrate_to_head(app)
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["checks"]["rate_limit_storage"] == "unavailable"
    finally:
        close_app(app)


def test_ready_with_a_reachable_redis(sqlite_url):
    app = make_app(sqlite_url, RATELIMIT_STORAGE_URI=required_redis_url())
    try:
        migrate_to_head(app)
        response = app.test_client().get("/readyz")
        assert response.status_code == 200
        assert response.get_json()["checks"]["rate_limit_storage"] == "ok"
    finally:
        close_app(app)

"""The schema lives in migrations/: they build it on both engines and match the models."""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from app import MIGRATIONS_DIR, create_app
from checkout.extensions import db
from config import TestingConfig


def test_migrations_build_the_schema_the_models_describe(database_url):
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)
        tables = set(inspect(db.engine).get_table_names())
        assert {
            "orders",
            "order_events",
            "callbacks",
            "checkouts",
            "idempotency_keys",
        } <= tables
        with db.engine.connect() as connection:
            # As migrations/env.py: tables of no model here (a plug-in's) are not ours to diff.
            ours = {
                "include_name": lambda name, kind, _: kind != "table" or name in db.metadata.tables
            }
            differences = compare_metadata(
                MigrationContext.configure(connection, opts=ours), db.metadata
            )
        assert differences == [], "models changed without a migration: run `flask db migrate`"
        flask_migrate.downgrade(directory=MIGRATIONS_DIR, revision="base")
        assert "orders" not in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()

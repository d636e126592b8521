"""Plug-ins' own tables: each brings its metadata and its migrations, recorded in a version
table of its own, so that the checkout's migrations (and their single head) never know it.

A plug-in registers its schema in its `init_app`; the app migrates every registered one in
development (`app.create_schema`), tests and benchmarks create their tables beside the
checkout's, and each plug-in's `migrations/env.py` runs `run_migrations`. Elsewhere:
`flask db upgrade -d checkout/<plug-in>/migrations`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import flask_migrate
from alembic import context
from flask import Flask, current_app
from sqlalchemy import MetaData, Table

from checkout.extensions import db

EXTENSION = "plugin_schemas"


@dataclass(frozen=True)
class PluginSchema:
    """A plug-in's tables, the folder of the migrations that build them, and the table
    that records their revision."""

    metadata: MetaData
    migrations_dir: str
    version_table: str


def register(app: Flask, schema: PluginSchema) -> None:
    """Add a plug-in's schema to those the app builds."""
    app.extensions.setdefault(EXTENSION, []).append(schema)


def registered(app: Flask) -> list[PluginSchema]:
    """Return the schemas the app's plug-ins registered."""
    schemas: list[PluginSchema] = app.extensions.get(EXTENSION, [])
    return schemas


def upgrade(app: Flask) -> None:
    """Bring every plug-in's tables up to date through its own migrations."""
    with app.app_context():
        for schema in registered(app):
            flask_migrate.upgrade(directory=schema.migrations_dir)


def drop_tables(app: Flask) -> None:
    """Drop every plug-in's tables and the record of their migrations (tests, benchmarks)."""
    with app.app_context():
        for schema in registered(app):
            schema.metadata.drop_all(db.engine)
            Table(schema.version_table, MetaData()).drop(db.engine, checkfirst=True)


def recreate_tables(app: Flask) -> None:
    """Drop and create every plug-in's tables from its models (tests, benchmarks)."""
    drop_tables(app)
    with app.app_context():
        for schema in registered(app):
            schema.metadata.create_all(db.engine)


def run_migrations(schema: PluginSchema) -> None:
    """Run a plug-in's migrations (its `env.py` calls this) on the app's database,
    comparing only its own tables and recording its revision in its own version table."""
    metadata, version_table = schema.metadata, schema.version_table

    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        return type_ != "table" or name in metadata.tables

    engine = current_app.extensions["migrate"].db.engine
    if context.is_offline_mode():
        context.configure(
            url=engine.url,
            target_metadata=metadata,
            version_table=version_table,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table,
            include_name=include_name,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()

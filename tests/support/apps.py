"""A test app on an empty database, rebuilt by metadata or by the migrations, and closed."""

from __future__ import annotations

from flask import Flask

from app import create_app
from checkout.extensions import db
from config import TestingConfig

# Settings a production app starts with (secrets and URLs no longer development defaults).
PRODUCTION_SETTINGS = {
    "SECRET_KEY": "k" * 48,
    "GATEWAY_SECRET": "live-gateway-secret",
    "MERCHANT_ID": "superkey",
    "SITE_ID": "42",
    "PUBLIC_BASE_URL": "https://shop.example",
    "GATEWAY_BASE_URL": "https://cactusgino.com",
    "SANDBOX_ENABLED": False,
    # One process, as the Flask test client is; production refuses memory:// otherwise.
    "RATELIMIT_SINGLE_INSTANCE": True,
}


def make_app(database_url: str, **overrides: object) -> Flask:
    """Create a test app on an empty database."""
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def migrate_to_head(app: Flask) -> None:
    """Rebuild the app's schema through the migrations, as `flask db upgrade` does."""
    import flask_migrate
    from sqlalchemy import text

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        flask_migrate.upgrade(directory=app.extensions["migrate"].directory)


def close_app(app: Flask) -> None:
    """Stop the app's sandbox listener and release its database connections."""
    sandbox = app.extensions.get("sandbox")
    if sandbox is not None:
        sandbox.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()

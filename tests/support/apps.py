"""A test app on an empty database, rebuilt by metadata or by the migrations, and closed."""

from __future__ import annotations

from flask import Flask

from app import create_app
from checkout import plugin_schemas
from checkout.extensions import db
from config import TestingConfig
from tests.support.fake_gateway import shared_gateway

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

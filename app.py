"""Cactus Checkout: the application factory. `flask run` finds `create_app` here."""

from __future__ import annotations

import os
from typing import Any

import flask_migrate
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from checkout import catalogue, errors, logs, security, signals, signing
from checkout.extensions import csrf, db, migrate
from checkout.money import format_minor, to_minor
from config import Config, config_from_env

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")


def create_app(
    config_class: type[Config] | None = None, test_config: dict[str, Any] | None = None
) -> Flask:
    """Create and configure the checkout app."""
    app = Flask(__name__, instance_relative_config=True)
    configure(app, config_class or config_from_env(), test_config)
    configure_logger(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_filters(app)
    create_schema(app)
    return app


def configure(app: Flask, config_class: type[Config], test_config: dict[str, Any] | None) -> None:
    """Load settings, fill in the instance database, and refuse settings that cannot work."""
    app.config.from_object(config_class)
    if test_config:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        path = os.path.join(app.instance_path, "checkout.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    check_config(app.config)


def check_config(config: dict[str, Any]) -> None:
    """Stop at start-up, naming the setting, when the configuration cannot work."""
    try:
        signing.check_scheme(config["GATEWAY_SIGNATURE_SCHEME"])
        for code in config["CHECKOUT_CURRENCIES"]:
            if not catalogue.is_iso_currency(code):
                raise ValueError(f"CHECKOUT_CURRENCIES: {code!r} is not an ISO 4217 code")
            to_minor(config["CHECKOUT_MAX_AMOUNT"], code)
        for item in config["CHECKOUT_MAX_AMOUNTS"]:
            code, _, limit = item.partition("=")
            to_minor(limit, code)
        int(config["SITE_ID"])
        catalogue.CustomerType(config["CUSTOMER_TYPE"])
        for word, state in config["CALLBACK_STATUS_MAP"].items():
            if state not in {"pending", "paid", "failed", "expired"}:
                raise ValueError(f"GATEWAY_STATUS_MAP: {word!r} maps to unknown state {state!r}")
    except (ValueError, ArithmeticError) as error:
        raise SystemExit(f"Configuration error: {error}") from None


def configure_logger(app: Flask) -> None:
    """Log one structured line per request and per state change, secrets masked."""
    logs.init_app(app)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)
    security.init_app(app)
    signals.init_app(app)


def register_blueprints(app: Flask) -> None:
    from checkout import callback_views, sandbox, views

    app.register_blueprint(views.bp)
    app.register_blueprint(callback_views.bp)
    sandbox.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    errors.init_app(app)


def register_template_filters(app: Flask) -> None:
    app.add_template_filter(format_minor, "money")


def create_schema(app: Flask) -> None:
    """Bring the development database up to date, so the demo needs no set-up step.

    Production runs `flask db upgrade` once per deploy instead: several workers starting
    at once must not race to migrate. Tests build their own schema.
    """
    if app.config["APP_ENV"] == "development":
        with app.app_context():
            flask_migrate.upgrade(directory=MIGRATIONS_DIR)


@event.listens_for(Engine, "connect")
def tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Let SQLite readers and one writer work side by side, and writers wait their turn."""
    if type(dbapi_connection).__module__ == "sqlite3":
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

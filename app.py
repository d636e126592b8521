"""Cactus Checkout: the application factory. `flask run` finds `create_app` here."""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

import flask_migrate
import structlog
from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from checkout import (
    config_checks,
    error_reports,
    errors,
    gateway_config,
    housekeeping,
    i18n,
    logs,
    metrics_views,
    plugin_schemas,
    rate_limits,
    routing,
    security,
    webhooks,
)
from checkout.extensions import csrf, db, migrate
from config import Config, ConfigError, config_from_env

log = structlog.get_logger("checkout.config")

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
# The names the development server itself is reached at, on this machine.
LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
# Plug-ins that may be absent: each registers itself in its own init_app (its blueprint,
# settings, checks, tables; the sandbox offers itself as the gateway), and deleting its
# package removes it. Nothing else of the checkout imports them.
OPTIONAL_PLUGINS = ("checkout.sandbox", "checkout.demo_shop")


def create_app(
    config_class: type[Config] | None = None, test_config: dict[str, Any] | None = None
) -> Flask:
    """Create and configure the checkout app.

    :raise SystemExit: naming the setting at fault, when any step finds bad configuration.
    """
    app = Flask(__name__, instance_relative_config=True)
    try:
        configure(app, config_class or config_from_env(), test_config)
        configure_logger(app)
        register_extensions(app)
        register_url_converters(app)
        register_blueprints(app)
        register_errorhandlers(app)
        register_template_filters(app)
        register_commands(app)
        register_plugins(app)
        check_gateway(app)
        create_schema(app)
    except ConfigError as error:
        # Every check raises ConfigError; this is the one place it stops the process, with
        # a line an operator reads at start-up (gunicorn, flask run) instead of a traceback.
        raise SystemExit(f"Configuration error: {error}") from None
    return app


def configure(app: Flask, config_class: type[Config], test_config: dict[str, Any] | None) -> None:
    """Load settings, refuse those that cannot work, fill in the instance database, and
    decide which Host headers and proxy headers to believe."""
    app.config.from_object(config_class)
    if test_config:
        app.config.from_mapping(test_config)
    config_checks.check(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        path = os.path.join(app.instance_path, "checkout.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    hosts = app.config["TRUSTED_HOSTS"]
    if hosts is not None or not app.config["PUBLIC_BASE_URL"]:
        # Without PUBLIC_BASE_URL our absolute URLs (success_url, the iframe, where a
        # gateway posts its signed callbacks) come from the Host header: only this machine's
        # names, and the ones configured, may set them. A plug-in's loopback listener
        # (checkout.loopback) is reached as 127.0.0.1.
        app.config["TRUSTED_HOSTS"] = [*(hosts or []), *LOOPBACK_HOSTS]
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        # Trust X-Forwarded-* from exactly the proxies we run behind, no more.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def configure_logger(app: Flask) -> None:
    """Log one structured line per request and per state change, secrets masked; report
    unexpected errors to Sentry when configured; then say loudly which settings work but
    are risky."""
    logs.init_app(app)
    error_reports.init_app(app)
    for setting, reason in config_checks.warnings(app.config):
        log.warning("config_warning", setting=setting, reason=reason)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        # Our engine only: a listener on the Engine class would tune every engine in the
        # process (a script's, a library's, another app's).
        event.listen(db.engine, "connect", tune_sqlite)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)
    rate_limits.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    gateway_config.init_app(app)
    housekeeping.init_app(app)
    webhooks.init_app(app)
    metrics_views.init_app(app)


def register_url_converters(app: Flask) -> None:
    # Before the blueprints: a rule finds its converter when it is added.
    routing.init_app(app)


def register_blueprints(app: Flask) -> None:
    from checkout import admin, api, callback_views, checkout_views, health, views

    app.register_blueprint(views.bp)
    # Polled by scripts: its errors are JSON, like its answers.
    errors.answer_errors(app, f"{views.bp.name}.{views.order_status.__name__}")
    app.register_blueprint(checkout_views.bp)
    callback_views.init_app(app)
    api.init_app(app)
    health.init_app(app)
    admin.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    errors.init_app(app)


def register_template_filters(app: Flask) -> None:
    # Amounts in the page's language, e.g. "KZT 90.00" in English, "90,00 ₸" in Kazakh.
    app.add_template_filter(i18n.money, "money")


def register_commands(app: Flask) -> None:
    from checkout import commands

    commands.init_app(app)


def register_plugins(app: Flask) -> None:
    """Let each optional plug-in that is installed register itself."""
    for name in OPTIONAL_PLUGINS:
        spec = importlib.util.find_spec(name)
        # No origin: only a folder is left (e.g. __pycache__ after `git rm`), no package.
        if spec is not None and spec.origin is not None:
            importlib.import_module(name).init_app(app)


def check_gateway(app: Flask) -> None:
    """After the plug-ins, which may offer one: refuse production without a gateway."""
    gateway_config.check(app)


def create_schema(app: Flask) -> None:
    """Bring the development database up to date, the plug-ins' tables included, so the
    demo needs no set-up step.

    Production runs `flask db upgrade` once per deploy instead: several workers starting
    at once must not race to migrate. Tests build their own schema.
    """
    if app.config["APP_ENV"] == "development":
        with app.app_context():
            flask_migrate.upgrade(directory=MIGRATIONS_DIR)
        plugin_schemas.upgrade(app)


def tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Let SQLite readers and one writer work side by side, and writers wait their turn."""
    if type(dbapi_connection).__module__ == "sqlite3":
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Every commit reaches the disk before the answer that depends on it goes out.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

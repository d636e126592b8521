"""The demo shop: the merchant's side of the story, on a laptop.

A plug-in: it brings its blueprint, templates, static files, settings, start-up checks and
tables (with their own migrations) and registers itself here. The checkout never imports
it; deleting this package and `tests/demo_shop/` leaves a working checkout.
"""

from __future__ import annotations

import os

import structlog
from flask import Flask

from checkout import plugin_schemas
from checkout.demo_shop import settings
from checkout.demo_shop.models import ShopBase
from checkout.extensions import csrf
from checkout.loopback import LoopbackServer

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
SCHEMA = plugin_schemas.PluginSchema(
    ShopBase.metadata, MIGRATIONS_DIR, version_table="demo_shop_alembic_version"
)
API_PREFIX = "/api/v1"

log = structlog.get_logger("checkout.demo_shop")


class DemoShop:
    """The shop's machinery in one process: the listener through which it calls the API."""

    def __init__(self, app: Flask) -> None:
        self.loopback = LoopbackServer(app, API_PREFIX)

    def api_base_url(self) -> str:
        """Return the Checkouts API's base URL as the shop's server reaches it."""
        return self.loopback.api_base_url()

    def shutdown(self) -> None:
        """Stop the listener (tests free their ports)."""
        self.loopback.shutdown()


def init_app(app: Flask) -> None:
    """Mount the shop when it is enabled; refuse settings with which it could not work."""
    settings.load(app.config)
    if not app.config["DEMO_SHOP_ENABLED"]:
        return
    webhook_url = settings.default_webhook_url(app.config)
    settings.check(app.config)
    for setting, reason in settings.warnings(app.config):
        log.warning("config_warning", setting=setting, reason=reason)
    if webhook_url:
        log.info("demo_shop_webhooks", url=webhook_url)

    from checkout.demo_shop import views

    # Webhooks are authenticated by their signature, not by a form token of ours.
    csrf.exempt(views.receive_webhook)
    app.register_blueprint(views.bp)
    app.extensions["demo_shop"] = DemoShop(app)
    plugin_schemas.register(app, SCHEMA)

"""The embedded sandbox gateway: plays Cactusgino's part so the demo needs no account.

A plug-in: it brings its blueprint, templates, static files, translations, settings,
start-up checks and table (with its own migrations), and offers itself as the gateway here
while `GATEWAY_BASE_URL` names none. The checkout never imports it; deleting this package
and `tests/sandbox/` leaves a checkout that talks only to the gateway at `GATEWAY_BASE_URL`.
"""

from __future__ import annotations

import os

import structlog
from flask import Flask

from checkout import errors, gateway_config, i18n, plugin_schemas
from checkout.extensions import csrf
from checkout.loopback import LoopbackServer
from checkout.sandbox import settings, texts
from checkout.sandbox.commands import sandbox_cli
from checkout.sandbox.delivery import Deliveries
from checkout.sandbox.models import SandboxBase
from checkout.sandbox.views import KeyConverter, bp

# Browsers reach the sandbox under this path of our own site.
PREFIX = "/sandbox"
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
SCHEMA = plugin_schemas.PluginSchema(
    SandboxBase.metadata, MIGRATIONS_DIR, version_table="sandbox_alembic_version"
)

log = structlog.get_logger("checkout.sandbox")


class Sandbox:
    """The sandbox's machinery in one process: its loopback listener and its deliveries."""

    def __init__(self, app: Flask) -> None:
        self.loopback = LoopbackServer(app, PREFIX)
        self.deliveries = Deliveries()

    def api_base_url(self) -> str:
        """Return the base URL our server uses to call the sandbox (see `checkout.loopback`)."""
        return self.loopback.api_base_url()

    def shutdown(self) -> None:
        """Abandon pending callback retries and stop the listener (tests free their ports)."""
        self.deliveries.stop()
        self.loopback.shutdown()


def browser_base_url() -> str:
    """Return the sandbox's base URL as the customer's browser reaches it: on our site."""
    return gateway_config.public_base_url() + PREFIX


def init_app(app: Flask) -> None:
    """Mount the sandbox and offer it as the gateway, when it is enabled and no other
    gateway is configured; refuse settings it could not work with."""
    settings.load(app.config)
    if not settings.plays_the_gateway(app.config):
        return
    settings.check(app.config)
    for setting, reason in settings.warnings(app.config):
        log.warning("config_warning", setting=setting, reason=reason)
    # A gateway's API and hosted form carry no CSRF token of ours; the one-time,
    # unguessable key guards the hosted form.
    csrf.exempt(bp)
    app.url_map.converters["sandbox_key"] = KeyConverter
    app.register_blueprint(bp, url_prefix=PREFIX)
    # Our server reads the token answer, errors included, as JSON.
    errors.answer_errors(app, f"{bp.name}.obtain_token")
    # The hosted form speaks the language the merchant asked for, not the page's.
    i18n.english_only(app, bp.name)
    app.cli.add_command(sandbox_cli)
    sandbox = app.extensions["sandbox"] = Sandbox(app)
    gateway_config.offer(
        app,
        gateway_config.Gateway(
            browser_base_url=browser_base_url,
            api_base_url=sandbox.api_base_url,
            frame_origin="'self'",  # served by our own site
            banner=texts.BANNER,
        ),
    )
    plugin_schemas.register(app, SCHEMA)

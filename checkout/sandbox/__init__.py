"""The embedded sandbox gateway: plays Cactusgino's part so the demo needs no account.

Self-contained: removing this package and its `init_app` call leaves a checkout that
talks only to the gateway named by `GATEWAY_BASE_URL`.
"""

from __future__ import annotations

from flask import Flask

from checkout.extensions import csrf
from checkout.gateway_config import SANDBOX_PREFIX
from checkout.sandbox import models  # noqa: F401  (registers the table)
from checkout.sandbox.commands import sandbox_cli
from checkout.sandbox.delivery import Deliveries
from checkout.sandbox.server import LoopbackServer
from checkout.sandbox.views import KeyConverter, bp


class Sandbox:
    """The sandbox's machinery in one process: its loopback listener and its deliveries."""

    def __init__(self, app: Flask) -> None:
        self.loopback = LoopbackServer(app, SANDBOX_PREFIX)
        self.deliveries = Deliveries()

    def api_base_url(self) -> str:
        """Return the base URL our server uses to call the sandbox (see `server`)."""
        return self.loopback.api_base_url()

    def shutdown(self) -> None:
        """Abandon pending callback retries and stop the listener (tests free their ports)."""
        self.deliveries.stop()
        self.loopback.shutdown()


def init_app(app: Flask) -> None:
    """Mount the sandbox when it is enabled and no other gateway is configured."""
    if not app.config["SANDBOX_ENABLED"] or app.config["GATEWAY_BASE_URL"]:
        return
    # A gateway's API and hosted form carry no CSRF token of ours; the one-time,
    # unguessable key guards the hosted form.
    csrf.exempt(bp)
    app.url_map.converters["sandbox_key"] = KeyConverter
    app.register_blueprint(bp, url_prefix=SANDBOX_PREFIX)
    app.cli.add_command(sandbox_cli)
    app.extensions["sandbox"] = Sandbox(app)

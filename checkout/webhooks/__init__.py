"""Webhooks to the merchant's server (docs/webhooks.md): an outbox written with each state
change, signed deliveries retried for about a day, workers, and operators' tools."""

from __future__ import annotations

from flask import Flask

EXTENSION = "webhook_worker"


def init_app(app: Flask) -> None:
    """Add the commands; in development also deliver from the web process itself."""
    # Imported here: the orders service imports the outbox, and these import the CLI's
    # helpers, which import the orders service.
    from checkout.webhooks.commands import webhooks_cli
    from checkout.webhooks.worker import InProcessWorker

    app.cli.add_command(webhooks_cli)
    if app.config["WEBHOOK_IN_PROCESS"]:
        worker = InProcessWorker(app)
        app.extensions[EXTENSION] = worker
        app.before_request(worker.ensure_started)

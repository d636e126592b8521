"""`flask webhooks ...`: list events, resend one, and run a delivery worker."""

from __future__ import annotations

import signal
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from checkout.commands import printable, when
from checkout.webhooks import outbox
from checkout.webhooks import repository as stored_webhooks
from checkout.webhooks.models import DeliveryState, EventType, WebhookEvent
from checkout.webhooks.worker import Worker

webhooks_cli = AppGroup("webhooks", help="Webhooks to the merchant: list, resend, worker.")


def event_line(event: WebhookEvent) -> str:
    """Return one event as a line of the list."""
    last = event.attempt_log[-1] if event.attempt_log else None
    outcome = "—"
    if last is not None:
        outcome = (
            str(last.status_code) if last.status_code is not None else printable(last.error or "")
        )
    return (
        f"{when(event.created_at)}  {event.webhook_id:<30}  {event.type:<13}  "
        f"{event.state:<9}  {len(event.attempt_log):>3}  {event.order.request_id}  {outcome}"
    )


@webhooks_cli.command("list")
@click.option("--type", "event_type", type=click.Choice([item.value for item in EventType]))
@click.option("--state", type=click.Choice([item.value for item in DeliveryState]))
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def list_command(event_type: str | None, state: str | None, limit: int) -> None:
    """List events, newest first, with their delivery state."""
    event_filter = stored_webhooks.EventFilter(
        type=EventType(event_type) if event_type else None,
        state=DeliveryState(state) if state else None,
    )
    click.echo(
        f"{'CREATED':<23}  {'WEBHOOK-ID':<30}  {'TYPE':<13}  {'STATE':<9}  TRY  ORDER  LAST ANSWER"
    )
    for event in stored_webhooks.first_events(event_filter, limit):
        click.echo(event_line(event))


@webhooks_cli.command("resend")
@click.argument("webhook_id")
def resend_command(webhook_id: str) -> None:
    """Deliver an event again, under the same webhook-id."""
    try:
        event = outbox.resend(webhook_id)
    except outbox.EventNotFound:
        raise click.ClickException(f"No event with webhook-id {webhook_id!r}.") from None
    except outbox.EventBusy:
        raise click.ClickException(
            f"Event {webhook_id} is being delivered right now; try again in a minute."
        ) from None
    click.echo(f"Event {event.webhook_id} ({event.type}) is queued for delivery.")
    if not current_app.config["MERCHANT_WEBHOOK_URL"]:
        click.echo("MERCHANT_WEBHOOK_URL is not set: it will go out once it is.", err=True)


@webhooks_cli.command("worker")
@click.option("--burst", is_flag=True, help="Exit once nothing is due instead of waiting.")
def worker_command(burst: bool) -> None:
    """Deliver events and run housekeeping until SIGTERM or Ctrl-C."""
    # The worker's threads need the app itself, not the proxy bound to this context; Flask
    # types current_app as the app, so the proxy's documented accessor is unknown to mypy.
    worker = Worker(current_app._get_current_object())  # type: ignore[attr-defined]

    def stop(_signum: int, _frame: Any) -> None:
        # Finish the attempt under way and record it, then leave the loop.
        worker.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    attempts = worker.run(burst=burst)
    click.echo(f"Worker {worker.name} stopped after {attempts} attempt(s).", err=True)

"""`flask checkouts ...`: expire one checkout at once, and the housekeeping for cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from checkout import checkouts, idempotency

checkouts_cli = AppGroup("checkouts", help="Look after merchants' checkouts: expire, housekeeping.")


@checkouts_cli.command("expire")
@click.argument("checkout_id")
def expire_command(checkout_id: str) -> None:
    """Expire an open checkout now, and its payment under way."""
    checkout = checkouts.get_checkout(checkout_id)
    if checkout is None:
        raise click.ClickException(f"No checkout with id {checkout_id!r}.")
    if checkouts.expire_checkout(checkout):
        click.echo(f"Checkout {checkout.public_id} expired.")
    else:
        click.echo(f"Checkout {checkout.public_id} is already {checkout.status}.")


@checkouts_cli.command("housekeeping")
def housekeeping_command() -> None:
    """Expire checkouts whose time is up and forget Idempotency-Keys older than 24 h."""
    expired = checkouts.expire_due_checkouts()
    purged = idempotency.purge_keys()
    click.echo(f"Expired {expired} checkout(s); purged {purged} idempotency key(s).")

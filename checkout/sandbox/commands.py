"""`flask sandbox ...`: play the gateway's part by hand in a demo.

`flask sandbox callback <request_id> --status success` sends the signed callback the
sandbox would send, synchronously, and prints each answer, so a demo can show duplicates,
amount mismatches and late callbacks.
"""

from __future__ import annotations

from typing import Any

import click
import requests
from flask import current_app
from flask.cli import AppGroup

from checkout.sandbox import payments
from checkout.sandbox.delivery import callback_fields, merchant_callback_url, post_callback
from checkout.sandbox.models import SandboxState

sandbox_cli = AppGroup("sandbox", help="Play the embedded sandbox gateway's part by hand.")

# Callback status word → the state the sandbox records for a payment still open.
STATUSES = {
    "success": SandboxState.PAID,
    "fail": SandboxState.DECLINED,
    "expired": SandboxState.EXPIRED,
}
ANSWER_PREVIEW_CHARS = 300


@sandbox_cli.command("callback", short_help="Send a signed callback as the gateway would.")
@click.argument("request_id")
@click.option(
    "--status", type=click.Choice(list(STATUSES)), required=True, help="What the gateway reports."
)
@click.option(
    "--amount",
    type=click.IntRange(min=0),
    help="Amount in minor units to report (default: the payment's own; another shows a mismatch).",
)
@click.option("--duplicate", is_flag=True, help="Send the same signed callback twice.")
def callback_command(request_id: str, status: str, amount: int | None, duplicate: bool) -> None:
    """Send the signed callback about REQUEST_ID to the merchant, as the gateway would."""
    config = current_app.config
    url = merchant_callback_url(config)
    if url is None:
        raise click.ClickException(
            "no callback URL known: set SANDBOX_CALLBACK_URL (e.g. "
            "http://127.0.0.1:5000/callback) or PUBLIC_BASE_URL (e.g. http://127.0.0.1:5000)"
        )
    payment = payments.find_by_request_id(request_id)
    if payment is None:
        raise click.ClickException(
            f"the sandbox has no payment with request_id {request_id!r}: "
            "start a checkout first (the order page shows its request_id)"
        )
    # A gateway that reported an outcome no longer takes payment on the form.
    payments.close(payment, STATUSES[status])
    fields = callback_fields(
        payment.params,
        status,
        secret=config["GATEWAY_SECRET"],
        scheme=config["GATEWAY_SIGNATURE_SCHEME"],
        amount=amount,
    )
    click.echo(
        f"POST {url}  request_id={request_id} status={status} "
        f"amount={fields['amount']} {fields['currency']}"
    )
    for _delivery in range(2 if duplicate else 1):
        click.echo(deliver_once(url, fields, timeout=config["GATEWAY_TIMEOUT"]))


def deliver_once(url: str, fields: dict[str, Any], timeout: float) -> str:
    """POST the callback once and return the merchant's answer as one line.

    :raise click.ClickException: when the merchant cannot be reached.
    """
    try:
        response = post_callback(url, fields, timeout)
    except requests.RequestException as error:
        raise click.ClickException(f"could not reach {url}: {type(error).__name__}") from None
    body = " ".join(response.text.split())[:ANSWER_PREVIEW_CHARS]
    return f"→ HTTP {response.status_code} {body}"

"""The outbox service: events written with each state change, claimed by workers, settled
by their attempts, resent by operators. Its statements are in `webhooks.repository`.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from flask import current_app

from checkout.extensions import db
from checkout.models import Order, utcnow
from checkout.webhooks import repository
from checkout.webhooks.client import Answer
from checkout.webhooks.models import DeliveryState, EventType, WebhookEvent
from checkout.webhooks.payload import event_body

log = structlog.get_logger(__name__)


class EventNotFound(LookupError):
    """No event has this webhook-id."""


class EventBusy(RuntimeError):
    """A worker is delivering the event at this moment; a resend would race it."""


def new_webhook_id() -> str:
    """Return a webhook-id: `msg_` and 128 random bits, the same for every delivery."""
    return "msg_" + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def enqueue(order: Order, event_type: EventType) -> None:
    """Write the event in the caller's transaction: it commits, or rolls back, with the change.

    Nothing is written while no MERCHANT_WEBHOOK_URL is configured.
    """
    if not current_app.config["MERCHANT_WEBHOOK_URL"]:
        return
    now = utcnow()
    webhook_id = new_webhook_id()
    repository.insert_event(
        webhook_id=webhook_id,
        order_id=order.id,
        type=event_type,
        payload=event_body(event_type, order, now),
        created_at=now,
        state=DeliveryState.PENDING,
        attempts=0,
        next_attempt_at=now,
    )
    log.info(
        "webhook_enqueued", webhook_id=webhook_id, type=str(event_type), request_id=order.request_id
    )


@dataclass(frozen=True)
class Claim:
    """A worker's right to make the next attempt at one event, until `until`."""

    event_id: int
    webhook_id: str
    payload: str
    attempts: int  # made before this one, in the current series
    token: str
    until: datetime


def claim_next(worker: str, lease: timedelta, now: datetime | None = None) -> Claim | None:
    """Claim the event due soonest that nobody holds, and commit the claim (see
    `repository.claim_due`)."""
    now = now or utcnow()
    until = now + lease
    # Unique per claim: a worker that outlived its lease cannot settle a later claim.
    token = f"{worker[:48]}#{secrets.token_hex(6)}"
    row = repository.claim_due(token, until, now)
    db.session.commit()
    if row is None:
        return None
    return Claim(row.id, row.webhook_id, row.payload, row.attempts, token, until)


def record_attempt(
    claim: Claim,
    answer: Answer,
    *,
    started_at: datetime,
    worker: str,
    next_attempt_at: datetime | None,
    http_request_id: str | None = None,
) -> DeliveryState:
    """Store the attempt, then settle the event: delivered, due again, or failed. Commits.

    `next_attempt_at` is when to retry after a failed attempt, or None when the retries
    are used up. The attempt is always stored; the event changes only while the claim is
    still ours, so a worker that outlived its lease cannot overwrite its successor.
    """
    repository.insert_attempt(
        event_id=claim.event_id,
        started_at=started_at,
        duration_ms=answer.duration_ms,
        status_code=answer.status_code,
        response=answer.response,
        error=answer.error,
        worker=worker[:64],
        http_request_id=http_request_id,
    )
    settled: dict[str, datetime | None]
    if answer.delivered:
        state, settled = DeliveryState.DELIVERED, {"delivered_at": utcnow()}
    elif next_attempt_at is not None:
        state, settled = DeliveryState.PENDING, {"next_attempt_at": next_attempt_at}
    else:
        state, settled = DeliveryState.FAILED, {"next_attempt_at": None}
    repository.settle_claimed(
        claim.event_id,
        claim.token,
        state=state,
        attempts=claim.attempts + 1,
        claimed_by=None,
        claimed_until=None,
        **settled,
    )
    db.session.commit()
    return state


def resend(webhook_id: str, now: datetime | None = None) -> WebhookEvent:
    """Queue an event for delivery at once with a fresh series of retries, keeping its id.

    :raise EventNotFound: for an unknown webhook-id.
    :raise EventBusy: while a worker holds the event (it is being delivered right now).
    """
    reset = repository.reset_unclaimed(webhook_id, now or utcnow())
    db.session.commit()
    event = repository.find_event(webhook_id)
    if event is None:
        raise EventNotFound(webhook_id)
    if not reset:
        raise EventBusy(webhook_id)
    log.info("webhook_resend", webhook_id=webhook_id)
    return event

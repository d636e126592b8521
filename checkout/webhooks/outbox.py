"""The outbox service: events written with each state change, claimed by workers, settled
by their attempts, resent by operators. Its statements are in `webhooks.repository`.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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


@dataclass(frozen=True)
class Attempt:
    """One attempt made on a claim, to be recorded: what came of it, and when to retry."""

    claim: Claim
    answer: Answer
    started_at: datetime
    worker: str
    # When to retry after a failed attempt; None when the retries are used up.
    next_attempt_at: datetime | None
    http_request_id: str | None = None

    @property
    def state(self) -> DeliveryState:
        """The event's state once this attempt is recorded."""
        if self.answer.delivered:
            return DeliveryState.DELIVERED
        if self.next_attempt_at is not None:
            return DeliveryState.PENDING
        return DeliveryState.FAILED


def claim_next(
    worker: str,
    lease: timedelta,
    limit: int,
    *,
    made: Sequence[Attempt] = (),
    unmade: Sequence[Claim] = (),
    now: datetime | None = None,
) -> list[Claim]:
    """Record the attempts `made`, let go of the claims left `unmade`, and claim up to
    `limit` due events nobody holds (0: none), due soonest first: one commit in all.

    Every attempt is stored; an event changes only while its claim is still ours, so a
    worker that outlived its lease cannot overwrite its successor. The claims of one call
    share a token, unique to it: a stale worker cannot settle a later claim either.
    """
    now = now or utcnow()
    if made:
        repository.insert_attempts([attempt_row(attempt) for attempt in made])
        repository.settle_claimed([settlement(attempt, now) for attempt in made])
    if unmade:
        repository.settle_claimed(
            [
                {"match_id": claim.event_id, "match_token": claim.token, **RELEASED}
                for claim in unmade
            ]
        )
    claims = []
    if limit > 0:
        until = now + lease
        token = f"{worker[:48]}#{secrets.token_hex(6)}"
        rows = repository.claim_due(token, until, now, limit)
        claims = [
            Claim(row.id, row.webhook_id, row.payload, row.attempts, token, until) for row in rows
        ]
    db.session.commit()
    return claims


RELEASED = {"claimed_by": None, "claimed_until": None}


def attempt_row(attempt: Attempt) -> dict[str, Any]:
    """Return the stored row of an attempt: never the secret or the signature."""
    answer = attempt.answer
    return {
        "event_id": attempt.claim.event_id,
        "started_at": attempt.started_at,
        "duration_ms": answer.duration_ms,
        "status_code": answer.status_code,
        "response": answer.response,
        "error": answer.error,
        "worker": attempt.worker[:64],
        "http_request_id": attempt.http_request_id,
    }


def settlement(attempt: Attempt, now: datetime) -> dict[str, Any]:
    """Return what an attempt writes onto its event: delivered, due again, or failed."""
    delivered = attempt.answer.delivered
    return {
        "match_id": attempt.claim.event_id,
        "match_token": attempt.claim.token,
        "state": attempt.state,
        "attempts": attempt.claim.attempts + 1,
        "next_attempt_at": None if delivered else attempt.next_attempt_at,
        "delivered_at": now if delivered else None,
        **RELEASED,
    }


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

"""The outbox's statements: write an event, claim it, record attempts, resend, look it up.

Every change here is a compare-and-set the database decides, so any number of workers on
any number of machines share the outbox without two of them making the same attempt.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, bindparam, insert, or_, select, update
from sqlalchemy.orm import selectinload

from checkout.extensions import db
from checkout.models import Order, utcnow
from checkout.webhooks.client import Answer
from checkout.webhooks.models import DeliveryState, EventType, WebhookAttempt, WebhookEvent
from checkout.webhooks.payload import event_body

PER_PAGE = 50

INSERT_EVENT = insert(WebhookEvent.__table__)
INSERT_ATTEMPT = insert(WebhookAttempt.__table__)
UPDATE_CLAIMED = (
    update(WebhookEvent.__table__)
    .where(WebhookEvent.id == bindparam("match_id"))
    .where(WebhookEvent.claimed_by == bindparam("match_token"))
)


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
    db.session.connection().execute(
        INSERT_EVENT,
        {
            "webhook_id": webhook_id,
            "order_id": order.id,
            "type": event_type,
            "payload": event_body(event_type, order, now),
            "created_at": now,
            "state": DeliveryState.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
        },
    )
    current_app.logger.info(
        "event=webhook_enqueued webhook_id=%s type=%s request_id=%s",
        webhook_id,
        event_type,
        order.request_id,
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
    """Claim the event due soonest that nobody holds, and commit the claim.

    On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets concurrent workers pass over each other's
    rows instead of queueing on them; SQLite has one writer at a time, and the same UPDATE
    runs whole under its lock. Either way a lapsed claim (its worker died) is taken over.
    """
    now = now or utcnow()
    due = (
        select(WebhookEvent.id)
        .where(
            WebhookEvent.state == DeliveryState.PENDING,
            WebhookEvent.next_attempt_at <= now,
            or_(WebhookEvent.claimed_until.is_(None), WebhookEvent.claimed_until < now),
        )
        .order_by(WebhookEvent.next_attempt_at, WebhookEvent.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    until = now + lease
    # Unique per claim: a worker that outlived its lease cannot settle a later claim.
    token = f"{worker[:48]}#{secrets.token_hex(6)}"
    statement = (
        update(WebhookEvent.__table__)
        .where(WebhookEvent.id == due)
        .values(claimed_by=token, claimed_until=until)
        .returning(
            WebhookEvent.id, WebhookEvent.webhook_id, WebhookEvent.payload, WebhookEvent.attempts
        )
    )
    row = db.session.connection().execute(statement).first()
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
) -> DeliveryState:
    """Store the attempt, then settle the event: delivered, due again, or failed. Commits.

    `next_attempt_at` is when to retry after a failed attempt, or None when the retries
    are used up. The attempt is always stored; the event changes only while the claim is
    still ours, so a worker that outlived its lease cannot overwrite its successor.
    """
    connection = db.session.connection()
    connection.execute(
        INSERT_ATTEMPT,
        {
            "event_id": claim.event_id,
            "started_at": started_at,
            "duration_ms": answer.duration_ms,
            "status_code": answer.status_code,
            "response": answer.response,
            "error": answer.error,
            "worker": worker[:64],
        },
    )
    if answer.delivered:
        state, settled = DeliveryState.DELIVERED, {"delivered_at": utcnow()}
    elif next_attempt_at is not None:
        state, settled = DeliveryState.PENDING, {"next_attempt_at": next_attempt_at}
    else:
        state, settled = DeliveryState.FAILED, {"next_attempt_at": None}
    connection.execute(
        UPDATE_CLAIMED,
        {
            "match_id": claim.event_id,
            "match_token": claim.token,
            "state": state,
            "attempts": claim.attempts + 1,
            "claimed_by": None,
            "claimed_until": None,
            **settled,
        },
    )
    db.session.commit()
    return state


def resend(webhook_id: str, now: datetime | None = None) -> WebhookEvent:
    """Queue an event for delivery at once with a fresh series of retries, keeping its id.

    :raise EventNotFound: for an unknown webhook-id.
    :raise EventBusy: while a worker holds the event (it is being delivered right now).
    """
    now = now or utcnow()
    result = db.session.connection().execute(
        update(WebhookEvent.__table__)
        .where(
            WebhookEvent.webhook_id == webhook_id,
            or_(WebhookEvent.claimed_until.is_(None), WebhookEvent.claimed_until < now),
        )
        .values(
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            delivered_at=None,
            claimed_by=None,
            claimed_until=None,
        )
    )
    db.session.commit()
    event = get_event(webhook_id)
    if event is None:
        raise EventNotFound(webhook_id)
    if result.rowcount != 1:
        raise EventBusy(webhook_id)
    current_app.logger.info("event=webhook_resend webhook_id=%s", webhook_id)
    return event


def get_event(webhook_id: str) -> WebhookEvent | None:
    """Return the event with this webhook-id, its order and attempts loaded, or None."""
    query = (
        select(WebhookEvent)
        .where(WebhookEvent.webhook_id == webhook_id)
        .options(selectinload(WebhookEvent.attempt_log), selectinload(WebhookEvent.order))
        .execution_options(populate_existing=True)
    )
    return db.session.scalar(query)


def events_of_order(order_id: int) -> list[WebhookEvent]:
    """Return an order's events with their attempts, oldest first."""
    query = (
        select(WebhookEvent)
        .where(WebhookEvent.order_id == order_id)
        .options(selectinload(WebhookEvent.attempt_log))
        .order_by(WebhookEvent.id)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class EventFilter:
    """Which events to list; an empty field matches every event."""

    type: EventType | None = None
    state: DeliveryState | None = None

    def select(self) -> Select[tuple[WebhookEvent]]:
        """Return the filtered events, newest first, with their orders and attempts."""
        query = select(WebhookEvent).options(
            selectinload(WebhookEvent.order), selectinload(WebhookEvent.attempt_log)
        )
        if self.type:
            query = query.where(WebhookEvent.type == self.type)
        if self.state:
            query = query.where(WebhookEvent.state == self.state)
        return query.order_by(WebhookEvent.id.desc())


def page_of_events(event_filter: EventFilter, page: int) -> Pagination:
    """Return one page of the filtered events."""
    return db.paginate(
        event_filter.select(),
        page=max(page, 1),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )


def first_events(event_filter: EventFilter, limit: int) -> list[WebhookEvent]:
    """Return the newest `limit` filtered events."""
    return list(db.session.scalars(event_filter.select().limit(limit)))

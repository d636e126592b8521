"""The outbox's statements: events (`webhook_events`) and their attempts (`webhook_attempts`).

Every change is a compare-and-set the database decides, so any number of workers on any
number of machines share the outbox without two of them making the same attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Row, Select, bindparam, case, func, insert, or_, select, update
from sqlalchemy.orm import selectinload

from checkout.extensions import db
from checkout.repository import page_of, write, write_rows
from checkout.webhooks.models import DeliveryState, EventType, WebhookAttempt, WebhookEvent

INSERT_EVENT = insert(WebhookEvent)
# The events due soonest that nobody holds, up to a batch. On PostgreSQL, `FOR UPDATE SKIP
# LOCKED` lets concurrent workers pass over each other's rows instead of queueing on them;
# SQLite has one writer at a time, and the UPDATE below runs whole under its lock. Either
# way a lapsed claim (its worker died) is taken over.
DUE = (
    select(WebhookEvent.id)
    .where(
        WebhookEvent.state == DeliveryState.PENDING,
        WebhookEvent.next_attempt_at <= bindparam("match_now"),
        or_(
            WebhookEvent.claimed_until.is_(None),
            WebhookEvent.claimed_until < bindparam("match_now"),
        ),
    )
    .order_by(WebhookEvent.next_attempt_at, WebhookEvent.id)
    .limit(bindparam("match_limit"))
    .with_for_update(skip_locked=True)
)
CLAIM_DUE = (
    update(WebhookEvent)
    .where(WebhookEvent.id.in_(DUE))
    .returning(
        WebhookEvent.id,
        WebhookEvent.webhook_id,
        WebhookEvent.payload,
        WebhookEvent.attempts,
        WebhookEvent.next_attempt_at,
    )
)
# Attempts and settlements are written a batch at a time, one parameter set per event,
# each batch as one executemany (`write_rows`: no ORM objects to build).
INSERT_ATTEMPTS = insert(WebhookAttempt)
# Only while the claim is still this worker's: one that outlived its lease changes nothing.
UPDATE_CLAIMED = update(WebhookEvent).where(
    WebhookEvent.id == bindparam("match_id"),
    WebhookEvent.claimed_by == bindparam("match_token"),
)
UPDATE_UNCLAIMED = (
    update(WebhookEvent)
    .where(
        WebhookEvent.webhook_id == bindparam("match_webhook_id"),
        or_(
            WebhookEvent.claimed_until.is_(None),
            WebhookEvent.claimed_until < bindparam("match_now"),
        ),
    )
    .returning(WebhookEvent.id)
)
BY_WEBHOOK_ID = (
    select(WebhookEvent)
    .where(WebhookEvent.webhook_id == bindparam("webhook_id"))
    .options(selectinload(WebhookEvent.attempt_log), selectinload(WebhookEvent.order))
    .execution_options(populate_existing=True)
)
EVENTS_OF_ORDER = (
    select(WebhookEvent)
    .where(WebhookEvent.order_id == bindparam("order_id"))
    .options(selectinload(WebhookEvent.attempt_log))
    .order_by(WebhookEvent.id)
)


def insert_event(**values: Any) -> None:
    """Write an event into the outbox."""
    write_rows(INSERT_EVENT, values)


def claim_due(token: str, until: datetime, now: datetime, limit: int) -> list[Row[Any]]:
    """Claim up to `limit` events due soonest that nobody holds, soonest first; return
    their id, webhook_id, payload, attempts and next_attempt_at."""
    params = {"match_now": now, "match_limit": limit, "claimed_by": token, "claimed_until": until}
    rows = write(CLAIM_DUE, params).all()
    return sorted(rows, key=lambda row: (row.next_attempt_at, row.id))


def insert_attempts(attempts: list[dict[str, Any]]) -> None:
    """Record attempts to deliver events: one row each."""
    write_rows(INSERT_ATTEMPTS, attempts)


def settle_claimed(settlements: list[dict[str, Any]]) -> None:
    """Write each settlement's values onto its event (`match_id`) while the claim
    (`match_token`) still holds it; every settlement sets the same columns."""
    write_rows(UPDATE_CLAIMED, settlements)


def reset_unclaimed(webhook_id: str, now: datetime) -> bool:
    """Make an event due at once with a fresh series of attempts, unless a worker holds it.

    :return: whether it was reset (False also for an unknown webhook-id).
    """
    params = {
        "match_webhook_id": webhook_id,
        "match_now": now,
        "state": DeliveryState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "delivered_at": None,
        "claimed_by": None,
        "claimed_until": None,
    }
    return write(UPDATE_UNCLAIMED, params).first() is not None


def find_event(webhook_id: str) -> WebhookEvent | None:
    """Return the event with this webhook-id, read afresh with its order and attempts."""
    return db.session.scalar(BY_WEBHOOK_ID, {"webhook_id": webhook_id})


def events_of_order(order_id: int) -> list[WebhookEvent]:
    """Return an order's events with their attempts, oldest first."""
    return list(db.session.scalars(EVENTS_OF_ORDER, {"order_id": order_id}))


@dataclass(frozen=True)
class EventFilter:
    """Which events to list; an empty field matches every event."""

    type: EventType | None = None
    state: DeliveryState | None = None

    def select(self) -> Select[WebhookEvent]:
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
    return page_of(event_filter.select(), page)


def first_events(event_filter: EventFilter, limit: int) -> list[WebhookEvent]:
    """Return the newest `limit` filtered events."""
    return list(db.session.scalars(event_filter.select().limit(limit)))


BACKLOG = select(func.count(), func.min(WebhookEvent.created_at)).where(
    WebhookEvent.state == DeliveryState.PENDING
)
_ATTEMPT_RESULT = case(
    (WebhookAttempt.status_code.between(200, 299), "delivered"), else_="failed"
).label("result")
ATTEMPTS_SINCE = (
    select(_ATTEMPT_RESULT, func.count())
    .where(WebhookAttempt.started_at >= bindparam("since"))
    .group_by(_ATTEMPT_RESULT)
)


def backlog() -> tuple[int, datetime | None]:
    """Return how many events are neither delivered nor given up, and when the oldest was made."""
    count, oldest = db.session.execute(BACKLOG).one()
    return count, oldest


def attempts_since(since: datetime) -> dict[str, int]:
    """Return the attempts made since `since`, by result: `delivered` (2xx) or `failed`."""
    counts = dict.fromkeys(("delivered", "failed"), 0)
    for result, count in db.session.execute(ATTEMPTS_SINCE, {"since": since}):
        counts[result] = count
    return counts

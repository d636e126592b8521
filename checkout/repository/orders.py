"""Orders and their timeline (`order_events`): every statement that reads or writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from checkout.extensions import db
from checkout.models import Order, OrderEvent, OrderStatus, utcnow
from checkout.repository import read_first, write, write_rows

LIVE_STATUSES = (OrderStatus.CREATED, OrderStatus.PENDING)

BY_REQUEST_ID = select(Order).where(Order.request_id == bindparam("request_id"))
BY_SUBMISSION = select(Order).where(Order.submission_token == bindparam("submission_token"))
# Customers' pages poll this every few seconds: the four public columns, no object built.
SUMMARY = select(Order.request_id, Order.status, Order.amount, Order.currency).where(
    Order.request_id == bindparam("request_id")
)
INSERT_ORDER = insert(Order).returning(Order)
# Compare-and-set: the database applies the change only to an order still in `match_status`.
MOVE = (
    update(Order)
    .where(Order.id == bindparam("match_id"), Order.status == bindparam("match_status"))
    .returning(Order)
)
UPDATE_ORDER = update(Order).where(Order.id == bindparam("match_id")).returning(Order)
FLAG_UNFLAGGED = (
    update(Order)
    .where(Order.id == bindparam("match_id"), Order.review_reason.is_(None))
    .returning(Order)
)
INSERT_EVENT = insert(OrderEvent)
EVENTS_OF_ORDER = select(OrderEvent).where(OrderEvent.order_id == bindparam("order_id"))
LIVE_OF_CHECKOUT = select(Order).where(
    Order.checkout_id == bindparam("checkout_id"), Order.status.in_(LIVE_STATUSES)
)
CREATED_BEFORE = (
    select(Order)
    .where(
        Order.status.in_(bindparam("statuses", expanding=True)),
        Order.created_at < bindparam("cutoff"),
    )
    .order_by(Order.id)
)


def find(request_id: str) -> Order | None:
    """Return the order with this request_id, or None."""
    return db.session.scalar(BY_REQUEST_ID, {"request_id": request_id})


def find_by_submission(submission_key: str) -> Order | None:
    """Return the order a form submission created, or None."""
    return db.session.scalar(BY_SUBMISSION, {"submission_token": submission_key})


def summary(request_id: str) -> dict[str, Any] | None:
    """Return the public fields of an order, or None."""
    row = read_first(SUMMARY, {"request_id": request_id})
    return row._asdict() if row else None


def insert_order(**values: Any) -> Order:
    """Insert an order and return it.

    :raise IntegrityError: when its submission token (or request_id) is taken.
    """
    order: Order = write(INSERT_ORDER, values).scalar_one()
    return order


def move(order: Order, expected: OrderStatus, **values: Any) -> bool:
    """Write `values` (its new status among them) if the order is still in `expected`.

    :return: whether the database applied it; the loaded order shows it only then.
    """
    params = {"match_id": order.id, "match_status": expected, "updated_at": utcnow(), **values}
    return write(MOVE, params).first() is not None


def set_review_reason(order: Order, reason: str) -> bool:
    """Record why the order needs a person's look; return whether it is the first reason."""
    params = {"match_id": order.id, "review_reason": reason, "updated_at": utcnow()}
    if write(FLAG_UNFLAGGED, params).first() is not None:
        return True
    write(UPDATE_ORDER, params)
    return False


def add_event(
    order: Order,
    kind: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add a line to the order's timeline."""
    params = {
        "order_id": order.id,
        "kind": kind,
        "from_status": from_status,
        "to_status": to_status,
        "detail": detail,
        "created_at": utcnow(),
    }
    write_rows(INSERT_EVENT, params)


def events_of(order: Order) -> list[OrderEvent]:
    """Return the order's timeline lines."""
    return list(db.session.scalars(EVENTS_OF_ORDER, {"order_id": order.id}))


def live_of_checkout(checkout_id: int) -> list[Order]:
    """Return a checkout's orders still under way (at most one, by a unique index)."""
    return list(db.session.scalars(LIVE_OF_CHECKOUT, {"checkout_id": checkout_id}))


def created_before(statuses: list[OrderStatus], cutoff: datetime) -> list[Order]:
    """Return the orders in one of `statuses` created before `cutoff`, oldest first."""
    return list(db.session.scalars(CREATED_BEFORE, {"statuses": statuses, "cutoff": cutoff}))


PENDING_CREATED_BEFORE = (
    select(func.count())
    .select_from(Order)
    .where(Order.status == OrderStatus.PENDING, Order.created_at < bindparam("cutoff"))
)


def count_pending_created_before(cutoff: datetime) -> int:
    """Return how many orders still wait for the gateway's word since before `cutoff`."""
    return db.session.scalar(PENDING_CREATED_BEFORE, {"cutoff": cutoff}) or 0

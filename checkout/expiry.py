"""Closing orders the customer abandoned: pending for too long becomes expired (for cron)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Order, OrderStatus, utcnow
from checkout.orders import set_status


@dataclass(frozen=True)
class ExpiryReport:
    """How many stale orders were expired, and how many changed meanwhile and were left."""

    expired: int
    skipped: int


def stale_orders(older_than: timedelta, now: datetime | None = None) -> list[Order]:
    """Return the orders still pending that were created more than `older_than` ago."""
    cutoff = (now or utcnow()) - older_than
    query = (
        select(Order)
        .where(Order.status == OrderStatus.PENDING, Order.created_at < cutoff)
        .order_by(Order.id)
    )
    return list(db.session.scalars(query))


def expire_stale_orders(older_than: timedelta, now: datetime | None = None) -> ExpiryReport:
    """Mark the orders pending for longer than `older_than` expired."""
    return expire_orders(stale_orders(older_than, now), older_than)


def expire_orders(orders: list[Order], older_than: timedelta) -> ExpiryReport:
    """Mark these orders expired, each by compare-and-set from pending.

    An order a callback moved after we read it (paid at the last second, say) no longer
    matches `pending` and is left as the callback set it.
    """
    expired = skipped = 0
    detail = {"pending_longer_than_seconds": int(older_than.total_seconds())}
    for order in orders:
        if set_status(
            order, OrderStatus.EXPIRED, expected=OrderStatus.PENDING, kind="expired", detail=detail
        ):
            expired += 1
        else:
            skipped += 1
    return ExpiryReport(expired=expired, skipped=skipped)

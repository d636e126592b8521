"""Closing orders nobody will finish (for cron).

- `pending` for too long → `expired`: the customer had the gateway's form and left.
- `created` for too long → `failed`: an order is `created` only while its obtain_token call
  runs, which ends within GATEWAY_TIMEOUT; one still there was abandoned mid-call (its
  process died), so no payment key was ever had — the `created → failed` of docs/callbacks.md.

Both are compare-and-set: a callback that moved the order first wins, and a success that
arrives later still marks it paid (money received wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from checkout.models import Order, OrderStatus, utcnow
from checkout.orders import set_status
from checkout.repository import orders as stored_orders

# What each stale state becomes, and the timeline's name for the change.
CLOSING = {
    OrderStatus.PENDING: (OrderStatus.EXPIRED, "expired"),
    OrderStatus.CREATED: (OrderStatus.FAILED, "abandoned"),
}


@dataclass(frozen=True)
class ExpiryReport:
    """How many stale orders were expired or failed, and how many changed meanwhile."""

    expired: int
    failed: int
    skipped: int


def stale_orders(older_than: timedelta, now: datetime | None = None) -> list[Order]:
    """Return the orders still pending or created that were created more than `older_than` ago."""
    return stored_orders.created_before(list(CLOSING), (now or utcnow()) - older_than)


def expire_stale_orders(older_than: timedelta, now: datetime | None = None) -> ExpiryReport:
    """Close the orders pending or created for longer than `older_than`."""
    return expire_orders(stale_orders(older_than, now), older_than)


def expire_orders(orders: list[Order], older_than: timedelta) -> ExpiryReport:
    """Close these orders, each by compare-and-set from the state it was read in.

    An order a callback moved after we read it (paid at the last second, say) no longer
    matches and is left as the callback set it.
    """
    counts = {OrderStatus.EXPIRED: 0, OrderStatus.FAILED: 0}
    skipped = 0
    seconds = int(older_than.total_seconds())
    for order in orders:
        seen = order.order_status
        if seen not in CLOSING:  # already moved on in this session
            skipped += 1
            continue
        target, kind = CLOSING[seen]
        values = {}
        if target == OrderStatus.FAILED:
            values["error"] = f"no payment key: the gateway call never finished ({seconds} s)"
        detail = {f"{seen}_longer_than_seconds": seconds}
        if set_status(order, target, expected=seen, kind=kind, detail=detail, **values):
            counts[target] += 1
        else:
            skipped += 1
    return ExpiryReport(
        expired=counts[OrderStatus.EXPIRED], failed=counts[OrderStatus.FAILED], skipped=skipped
    )

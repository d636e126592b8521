"""The body of a webhook: `{"type", "timestamp", "data": <order object>}`, built in one place."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from checkout.models import Order
from checkout.webhooks.models import EventType


def rfc3339(moment: datetime | None) -> str | None:
    """Return a stored (naive, UTC) time as RFC 3339, e.g. `2026-11-28T10:00:00Z`."""
    if moment is None:
        return None
    return moment.replace(microsecond=0).isoformat() + "Z"


def interim_order_object(order: Order) -> dict[str, Any]:
    """Return the §8.1 order object, as far as orders can fill it before checkouts exist.

    Interim: the Checkouts API (#14) builds the order object in one function of its own;
    at merge this one is replaced by it. Until then `checkout_id` and `metadata` are null.
    """
    return {
        "request_id": order.request_id,
        "checkout_id": None,
        "status": order.status,
        "amount": order.amount,
        "currency": order.currency,
        "site_login": order.site_login,
        "method": order.method,
        "metadata": None,
        "created_at": rfc3339(order.created_at),
        "paid_at": rfc3339(order.paid_at),
    }


def event_body(event_type: EventType, order: Order, at: datetime) -> str:
    """Return the JSON body sent for an event, exactly as it will be signed and stored."""
    body = {"type": str(event_type), "timestamp": rfc3339(at), "data": interim_order_object(order)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

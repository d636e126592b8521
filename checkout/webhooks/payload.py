"""The body of a webhook: `{"type", "timestamp", "data": <order object>}`, built in one place."""

from __future__ import annotations

import json
from datetime import datetime

from checkout.models import Order
from checkout.objects import order_object, rfc3339
from checkout.webhooks.models import EventType


def event_body(event_type: EventType, order: Order, at: datetime) -> str:
    """Return the JSON body sent for an event, exactly as it will be signed and stored.

    `data` is the order object of the Checkouts API (docs/api.md), from its one builder.
    """
    body = {"type": str(event_type), "timestamp": rfc3339(at), "data": order_object(order)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

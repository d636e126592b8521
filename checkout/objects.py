"""The order and checkout objects of the Checkouts API (docs/api.md), each built in one place.

Everything that hands them out (the Checkouts API and the webhooks) builds them here,
so their shape cannot differ between two places; `checkout/api/openapi.py` describes them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from checkout.gateway_config import public_url
from checkout.models import Checkout, Order


def rfc3339(moment: datetime | None) -> str | None:
    """Return a stored UTC time as RFC 3339, e.g. `2026-11-28T10:59:03Z`."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC, microsecond=0).isoformat().replace("+00:00", "Z")


def order_object(order: Order) -> dict[str, Any]:
    """Return the order object: what a merchant learns about one payment."""
    checkout = order.checkout
    return {
        "request_id": order.request_id,
        "checkout_id": checkout.public_id if checkout else None,
        "status": order.status,
        "amount": order.amount,
        "currency": order.currency,
        "site_login": order.site_login,
        "method": order.method,
        "metadata": checkout.meta if checkout else None,
        "created_at": rfc3339(order.created_at),
        "paid_at": rfc3339(order.paid_at),
    }


def checkout_url(checkout: Checkout) -> str:
    """Return the absolute URL the merchant sends its customer to."""
    return public_url("checkouts.checkout_page", checkout_id=checkout.public_id)


def checkout_object(checkout: Checkout) -> dict[str, Any]:
    """Return the checkout object, with the request_id and status of each of its orders."""
    return {
        "id": checkout.public_id,
        "url": checkout_url(checkout),
        "status": checkout.status,
        "site_login": checkout.site_login,
        "amount": checkout.amount,
        "currency": checkout.currency,
        "method": checkout.method,
        "language": checkout.language,
        "bank_app": checkout.bank_app,
        "customer_type": checkout.customer_type,
        "return_url": checkout.return_url,
        "metadata": checkout.meta,
        "expires_at": rfc3339(checkout.expires_at),
        "created_at": rfc3339(checkout.created_at),
        "orders": [
            {"request_id": order.request_id, "status": order.status} for order in checkout.orders
        ],
    }

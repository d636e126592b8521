"""Orders written straight to the database, for tests where the gateway is not the point."""

from __future__ import annotations

import secrets

from checkout.extensions import db
from checkout.models import Order


def make_order(status: str = "pending", **fields: object) -> Order:
    """Create an order (inside an app context) and return it loaded, usable after the
    context ends."""
    values = {
        "submission_token": secrets.token_urlsafe(16),
        "amount": 9000,
        "currency": "KZT",
        "method": "card",
        "language": "EN",
        "bank_app": None,
        "site_login": "alice",
        "customer_type": "regular",
        "status": status,
        "gateway_key": "key-" + secrets.token_urlsafe(8),
        **fields,
    }
    order = Order(**values)
    db.session.add(order)
    db.session.commit()
    db.session.refresh(order)
    return order

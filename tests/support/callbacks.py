"""Building signed callbacks the way the gateway would, for the callback tests."""

from __future__ import annotations

from typing import Any

from flask import Flask

from checkout import signing
from checkout.models import Order


def callback_for(app: Flask, order: Order, **overrides: Any) -> dict[str, Any]:
    """Return a correctly signed callback about `order`; `overrides` change fields first."""
    fields = {
        "request_id": order.request_id,
        "invoice_id": "inv-" + order.request_id,
        "status": "success",
        "amount": order.amount,
        "currency": order.currency,
        "method": "card",
        **overrides,
    }
    fields = {name: value for name, value in fields.items() if value is not None}
    return signing.signed(
        fields, app.config["GATEWAY_SECRET"], app.config["GATEWAY_SIGNATURE_SCHEME"]
    )

"""Merchant policy: decisions the server makes that a customer must not make for itself."""

from __future__ import annotations

from flask import current_app

from checkout.catalogue import CustomerType


def open_form_customer_type() -> CustomerType:
    """Return the gateway `customer_type` of an order placed through the open form.

    A login typed into the open form proves nothing about who is typing, so no login
    makes its order trusted: every such order gets the configured default. Trust comes
    from the merchant's own server, which will pass it in the order's `CheckoutDetails`
    (the Checkouts API, docs/api.md).
    """
    return CustomerType(current_app.config["CUSTOMER_TYPE"])

"""Merchant policy: decisions the server makes that a customer must not make for itself."""

from __future__ import annotations

from flask import current_app

from checkout.catalogue import CustomerType


def customer_type_for(site_login: str) -> str:
    """Return the gateway `customer_type` for a login: trusted only by the merchant's say."""
    if site_login in current_app.config["TRUSTED_LOGINS"]:
        return CustomerType.TRUST
    return CustomerType(current_app.config["CUSTOMER_TYPE"])

"""Helpers for tests that drive the checkout form through the Flask test client."""

from __future__ import annotations

import html
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from checkout.extensions import db
from checkout.models import Order

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TOKEN_FIELD = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')


def form_tokens(page: str) -> dict[str, str]:
    """Return the hidden tokens of a rendered checkout form."""
    tokens = {"submission_token": TOKEN_FIELD.search(page).group(1)}
    csrf = CSRF_FIELD.search(page)
    if csrf:
        tokens["csrf_token"] = csrf.group(1)
    return tokens


def checkout_data(page: str, **fields: str) -> dict[str, str]:
    """Return a valid checkout submission for a rendered form, with `fields` overriding."""
    data = {
        "amount": "90.00",
        "currency": "KZT",
        "method": "card",
        "bank_app": "",
        "language": "EN",
        "site_login": "alice",
    }
    return {**data, **form_tokens(page), **fields}


def post_checkout(client: FlaskClient, **fields: str) -> TestResponse:
    """Render the form, then post it with `fields` changed from a valid submission."""
    page = client.get("/").get_data(as_text=True)
    return client.post("/", data=checkout_data(page, **fields))


def field_error(page: str, field: str) -> str:
    """Return the text of a field's error paragraph (empty when it has none)."""
    match = re.search(rf'<p class="field-error" id="{field}-error"[^>]*>(.*?)</p>', page, re.S)
    assert match, f"no error paragraph for {field}"
    return html.unescape(match.group(1)).strip()


def alert(page: str) -> str:
    """Return the text of the message above the form."""
    match = re.search(r'<div class="alert"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no alert on the page"
    return html.unescape(match.group(1)).strip()


def count(app: Flask, model: type) -> int:
    """Return how many rows a table holds."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def all_orders(app: Flask) -> list[Order]:
    """Return every order, detached so it can be read outside the app context."""
    with app.app_context():
        orders = db.session.scalars(select(Order).order_by(Order.id)).all()
        for order in orders:
            db.session.expunge(order)
        return list(orders)


def only_order(app: Flask) -> Order:
    """Return the one order the database holds."""
    orders = all_orders(app)
    assert len(orders) == 1, f"expected one order, found {len(orders)}"
    return orders[0]

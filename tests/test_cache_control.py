"""Every customer page carries tokens or order data: no browser or proxy may keep a copy."""

from __future__ import annotations

import pytest

from tests.support.admin import CREDENTIALS, sign_in
from tests.support.api import checkout_path, new_checkout
from tests.support.orders import make_order

CUSTOMER_PAGES = [
    ("GET", "/"),
    ("POST", "/"),  # a refused form, with the customer's details in it
    ("GET", "/pay/{id}"),
    ("GET", "/orders/{id}"),
    ("GET", "/orders/{id}/success"),
    ("GET", "/orders/{id}/fail"),
    ("GET", "/orders/{id}/status"),
    ("GET", "/orders/no-such-order"),
]


@pytest.mark.parametrize(("method", "path"), CUSTOMER_PAGES)
def test_customer_pages_are_never_stored(app, client, method, path):
    with app.app_context():
        order = make_order()
    response = client.open(path.format(id=order.request_id), method=method, data={})
    assert response.status_code in {200, 404, 422}
    assert response.headers["Cache-Control"] == "no-store"


CHECKOUT_PAGES = [
    ("GET", "{path}"),
    ("POST", "{path}"),  # a refused form, with the merchant's fixed values in it
    ("GET", "/c/no-such-checkout"),
]


@pytest.mark.parametrize(("method", "path"), CHECKOUT_PAGES)
def test_a_checkouts_pages_are_never_stored(client, method, path):
    checkout = new_checkout(client)
    response = client.open(path.format(path=checkout_path(checkout)), method=method, data={})
    assert response.status_code in {200, 404, 422}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("app_overrides", [CREDENTIALS])
@pytest.mark.parametrize("path", ["/admin/login", "/admin/", "/admin/orders/{id}"])
def test_admin_pages_are_never_stored(app, client, path):
    with app.app_context():
        order = make_order()
    sign_in(client)
    response = client.get(path.format(id=order.request_id))
    assert response.status_code in {200, 303}
    assert response.headers["Cache-Control"] == "no-store"

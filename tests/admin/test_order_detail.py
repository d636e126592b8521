"""The order page of the back office: every event and callback, in the order they happened."""

from __future__ import annotations

import html
import json
from urllib.parse import urlencode

import pytest

from checkout.admin.timeline import order_timeline, pretty_body
from checkout.extensions import db
from checkout.models import Order, OrderStatus
from checkout.orders import set_status
from checkout.repository import orders as stored_orders
from tests.support.callbacks import callback_for
from tests.support.orders import make_order


@pytest.fixture
def order(app) -> Order:
    """A created order that asked the gateway for a key and got one."""
    with app.app_context():
        order = make_order("created")
        stored_orders.add_event(order, "created", to_status=OrderStatus.CREATED)
        stored_orders.add_event(
            order, "token_requested", detail={"amount": 9000, "site_login": "alice"}
        )
        db.session.commit()
        set_status(
            order,
            OrderStatus.PENDING,
            expected=OrderStatus.CREATED,
            kind="token_received",
            detail={"key": True, "redirect_url": None},
        )
        return order


def detail_page(admin, order: Order) -> str:
    response = admin.get(f"/admin/orders/{order.request_id}")
    assert response.status_code == 200
    return html.unescape(response.text)


def test_detail_shows_the_token_request_and_the_gateway_answer(admin, order):
    page = detail_page(admin, order)
    assert "Payment key requested from the gateway" in page
    assert '"site_login": "alice"' in page
    assert "Gateway answered with a payment key" in page
    assert '"key": true' in page


def test_detail_shows_each_callback_with_its_outcome(app, admin, order):
    admin.post("/callback", json=callback_for(app, order))
    admin.post("/callback", json=callback_for(app, order))
    admin.post("/callback", json={**callback_for(app, order), "signature": "forged"})
    page = detail_page(admin, order)
    assert page.count("Callback #") == 3
    assert ">accepted<" in page
    assert ">duplicate<" in page
    assert ">bad signature<" in page


def test_callback_json_body_is_indented(app, admin, order):
    admin.post(
        "/callback", data=json.dumps(callback_for(app, order)), content_type="application/json"
    )
    assert '{\n  "request_id": "' + order.request_id + '",\n' in detail_page(admin, order)


def test_form_encoded_callback_body_is_shown_as_it_came(app, admin, order):
    body = urlencode(callback_for(app, order))
    admin.post("/callback", data=body, content_type="application/x-www-form-urlencoded")
    assert body in detail_page(admin, order)


def test_timeline_runs_from_creation_through_the_callback_to_paid(app, admin, order):
    admin.post("/callback", json=callback_for(app, order))
    with app.app_context():
        titles = [entry.title for entry in order_timeline(db.session.get(Order, order.id))]
    assert titles[:3] == [
        "Order created",
        "Payment key requested from the gateway",
        "Gateway answered with a payment key",
    ]
    assert titles[3].startswith("Callback #")
    assert titles[4] == "Status changed by a callback"


def test_flagged_order_shows_why(app, admin, order):
    admin.post("/callback", json=callback_for(app, order, amount=1))
    page = detail_page(admin, order)
    assert "Needs review" in page
    assert "reported 1 KZT, order is 9000 KZT" in page
    assert ">amount mismatch<" in page


def test_unknown_order_is_404(admin):
    assert admin.get("/admin/orders/no-such-order").status_code == 404


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ('{"a":1,"b":[2]}', '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}'),
        ('{"login":"Алия"}', '{\n  "login": "Алия"\n}'),
        ("status=success&amount=9000", "status=success&amount=9000"),
        ("{not json", "{not json"),
        ("", ""),
    ],
)
def test_pretty_body_indents_json_and_keeps_anything_else(body, shown):
    assert pretty_body(body) == shown

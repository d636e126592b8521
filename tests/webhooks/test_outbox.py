"""Each transition writes its event in its own transaction, once, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from checkout.expiry import expire_orders
from checkout.extensions import db
from checkout.models import Order, OrderStatus
from checkout.orders import compare_and_set, get_order
from tests.support.api import AUTH, new_checkout, pay_at_checkout, request_id_from
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.concurrency import fire_at_once
from tests.support.live import serve
from tests.support.orders import make_order
from tests.support.webhooks import outbox, payload, webhook_settings

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ORDER_OBJECT_FIELDS = {
    "request_id",
    "checkout_id",
    "status",
    "amount",
    "currency",
    "site_login",
    "method",
    "metadata",
    "created_at",
    "paid_at",
}


@pytest.fixture
def app(database_url):
    app = make_app(database_url, **webhook_settings())
    yield app
    close_app(app)


def post_callback(app, order, **overrides):
    return app.test_client().post("/callback", json=callback_for(app, order, **overrides))


def test_a_paid_callback_writes_one_order_paid_event_with_the_order_object(app):
    with app.app_context():
        order = make_order(amount=12345, currency="KZT", site_login="alice")
    for _ in range(3):  # the gateway repeats itself
        assert post_callback(app, order).status_code == 200

    [event] = outbox(app)
    body = payload(event)
    assert event.type == "order.paid" and event.state == "pending"
    assert event.webhook_id.startswith("msg_")
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "order.paid" and RFC3339.match(body["timestamp"])
    data = body["data"]
    assert set(data) == ORDER_OBJECT_FIELDS
    assert data["request_id"] == order.request_id
    assert (data["status"], data["amount"], data["currency"]) == ("paid", 12345, "KZT")
    assert (data["site_login"], data["method"]) == ("alice", "card")
    assert data["checkout_id"] is None and data["metadata"] is None
    assert RFC3339.match(data["created_at"]) and RFC3339.match(data["paid_at"])


def test_the_data_is_the_api_order_object_with_the_checkout_and_its_metadata(app):
    client = app.test_client()
    checkout = new_checkout(client, metadata={"invoice": 17, "note": "ünïcode"})
    request_id = request_id_from(pay_at_checkout(client, checkout))
    with app.app_context():
        order = get_order(request_id)
    assert post_callback(app, order).status_code == 200

    [event] = outbox(app)
    data = payload(event)["data"]
    assert data["checkout_id"] == checkout["id"]
    assert data["metadata"] == {"invoice": 17, "note": "ünïcode"}
    assert data == client.get(f"/api/v1/orders/{request_id}", headers=AUTH).get_json()


@pytest.mark.parametrize(
    ("status_word", "event_type"),
    [("fail", "order.failed"), ("declined", "order.failed"), ("expired", "order.expired")],
)
def test_failed_and_expired_reports_write_their_events(app, status_word, event_type):
    with app.app_context():
        order = make_order()
    post_callback(app, order, status=status_word)
    post_callback(app, order, status=status_word)

    assert [event.type for event in outbox(app)] == [event_type]


def test_pending_news_writes_no_event(app):
    with app.app_context():
        order = make_order(status="created")
    post_callback(app, order, status="processing")

    assert outbox(app) == []


def test_a_late_success_after_a_failure_tells_the_merchant_both(app):
    with app.app_context():
        order = make_order()
    post_callback(app, order, status="fail")
    post_callback(app, order)

    assert [event.type for event in outbox(app)] == ["order.failed", "order.paid"]


def test_expiry_writes_order_expired(app):
    with app.app_context():
        order = make_order()
        report = expire_orders([db.session.get(Order, order.id)], timedelta(minutes=30))
    assert report.expired == 1

    [event] = outbox(app)
    assert event.type == "order.expired"
    assert payload(event)["data"]["status"] == "expired"


def test_an_order_is_flagged_to_the_merchant_once(app):
    """Mismatches, repeated, and a failure after paid: one order.flagged, then order.paid."""
    with app.app_context():
        order = make_order()
    post_callback(app, order, amount=order.amount + 1)
    post_callback(app, order, currency="USD")
    post_callback(app, order)
    post_callback(app, order, status="declined")

    assert [event.type for event in outbox(app)] == ["order.flagged", "order.paid"]
    with app.app_context():
        assert "after paid" in get_order(order.request_id).review_reason


def test_a_failure_after_paid_flags_the_order(app):
    with app.app_context():
        order = make_order()
    post_callback(app, order)
    post_callback(app, order, status="fail")

    events = outbox(app)
    assert [event.type for event in events] == ["order.paid", "order.flagged"]
    assert payload(events[1])["data"]["status"] == "paid"


def test_an_event_rolls_back_with_its_transition(app):
    with app.app_context():
        order = make_order()
        assert compare_and_set(order, OrderStatus.PAID, expected=OrderStatus.PENDING, kind="test")
        db.session.rollback()
        assert db.session.scalar(select(Order.status).where(Order.id == order.id)) == "pending"

    assert outbox(app) == []


def test_no_event_is_written_without_a_webhook_url(database_url):
    app = make_app(database_url, **webhook_settings(MERCHANT_WEBHOOK_URL=None))
    try:
        with app.app_context():
            order = make_order()
        post_callback(app, order)
        assert outbox(app) == []
    finally:
        close_app(app)


def test_concurrent_duplicate_callbacks_write_one_event(app):
    """32 copies of a success and 8 of a mismatch at once, over HTTP: one paid, one flagged."""
    server, stop = serve(app)
    try:
        with app.app_context():
            order = make_order()
            bodies = [callback_for(app, order)] * 32
            bodies += [callback_for(app, order, amount=order.amount + 5)] * 8
        responses = fire_at_once(server.url + "/callback", bodies)
    finally:
        stop()

    assert {response.status_code for response in responses} == {200}
    assert Counter(event.type for event in outbox(app)) == {"order.paid": 1, "order.flagged": 1}

"""Concurrent duplicate deliveries apply once: the database, not Python, decides."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import Order, OrderEvent
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.concurrency import fire_at_once
from tests.support.live import serve
from tests.support.orders import make_order
from tests.support.webhooks import outbox, webhook_settings

DELIVERIES = 32


@pytest.fixture
def served_app(database_url):
    app = make_app(database_url, **webhook_settings())
    server, stop = serve(app)
    yield app, server.url
    stop()
    close_app(app)


def test_concurrent_duplicate_callbacks_apply_once(served_app):
    app, url = served_app
    with app.app_context():
        order = make_order()
        body = callback_for(app, order)
    responses = fire_at_once(url + "/callback", [body] * DELIVERIES)

    assert [response.status_code for response in responses] == [200] * DELIVERIES
    outcomes = Counter(response.json()["outcome"] for response in responses)
    assert outcomes == {"accepted": 1, "duplicate": DELIVERIES - 1}
    assert [event.type for event in outbox(app)] == ["order.paid"]
    with app.app_context():
        assert db.session.get(Order, order.id).status == "paid"
        transitions = db.session.scalar(
            select(func.count())
            .select_from(OrderEvent)
            .where(OrderEvent.order_id == order.id, OrderEvent.to_status == "paid")
        )
    assert transitions == 1


def test_concurrent_success_and_fail_end_paid(served_app):
    """Money received wins, whichever report the database applies first."""
    app, url = served_app
    with app.app_context():
        order = make_order()
        success = callback_for(app, order)
        fail = callback_for(app, order, status="fail")
    responses = fire_at_once(url + "/callback", [success, fail] * (DELIVERIES // 2))
    assert {response.status_code for response in responses} == {200}
    with app.app_context():
        assert db.session.get(Order, order.id).status == "paid"

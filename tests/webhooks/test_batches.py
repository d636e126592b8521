"""A worker claims due events a batch at a time and records a batch's attempts together,
on both engines, without ever letting an attempt outlive its claim."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from sqlalchemy import event

from checkout.extensions import db
from checkout.webhooks.delivery import client_for, deliver_due
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.fake_gateway import Reply, fake_gateway
from tests.support.orders import make_order
from tests.support.webhooks import outbox, webhook_settings


def paid_orders(app, count: int) -> None:
    """Pay `count` orders through callbacks: one order.paid event each."""
    with app.app_context():
        orders = [make_order() for _ in range(count)]
    client = app.test_client()
    for order in orders:
        assert client.post("/callback", json=callback_for(app, order)).status_code == 200


def deliver(app, stop: threading.Event | None = None) -> tuple[int, int]:
    """Deliver what is due as `flask webhooks worker` does; return (attempts, commits)."""
    commits = []
    client = client_for(app.config)
    with app.app_context():
        engine = db.engine
        record = lambda _connection: commits.append(True)  # noqa: E731
        event.listen(engine, "commit", record)
        try:
            made = deliver_due(client, "batch-worker", random.Random(), stop or threading.Event())
        finally:
            event.remove(engine, "commit", record)
            client.close()
    return made, len(commits)


@pytest.fixture
def build_app(database_url):
    apps = []

    def build(url: str, **overrides):
        app = make_app(database_url, **webhook_settings(url, **overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:
        close_app(app)


def test_a_batch_is_claimed_with_one_commit_and_recorded_with_one(build_app):
    with fake_gateway(Reply(200, body=b""), keep_alive=True) as receiver:
        app = build_app(receiver.url, WEBHOOK_CLAIM_BATCH=5)
        paid_orders(app, 5)
        made, commits = deliver(app)
        sent = Counter(request.headers["webhook-id"] for request in receiver.received)
    events = outbox(app)
    assert made == 5 and commits == 2, "claim the batch; record it and find nothing more due"
    assert sent == {event.webhook_id: 1 for event in events}
    assert all(e.state == "delivered" and len(e.attempt_log) == 1 for e in events)
    assert {e.claimed_by for e in events} == {None}


@pytest.mark.slow  # waits out real time-outs and leases
def test_no_attempt_starts_unless_its_time_out_fits_in_the_claims_lease(build_app):
    # Each answer takes 1.2 s of a 3 s lease; a 2 s time-out fits once per claim.
    with fake_gateway(Reply(200, body=b"", delay=1.2), keep_alive=True) as receiver:
        app = build_app(
            receiver.url, WEBHOOK_CLAIM_BATCH=5, WEBHOOK_TIMEOUT=2, WEBHOOK_CLAIM_LEASE=3
        )
        paid_orders(app, 3)
        made, commits = deliver(app)
        sent = Counter(request.headers["webhook-id"] for request in receiver.received)
    events = outbox(app)
    assert made == 3 and commits == 4, "three claims of one attempt each, then none due"
    assert sent == {event.webhook_id: 1 for event in events}
    assert all(e.state == "delivered" and len(e.attempt_log) == 1 for e in events)


def test_a_stop_records_the_attempts_made_and_lets_go_of_the_rest(build_app):
    stop = threading.Event()

    def answer_then_stop(_request):
        stop.set()  # as SIGTERM does, while the first attempt is under way
        return Reply(200, body=b"")

    with fake_gateway(answer_then_stop, keep_alive=True) as receiver:
        app = build_app(receiver.url, WEBHOOK_CLAIM_BATCH=5)
        paid_orders(app, 3)
        made, _commits = deliver(app, stop)
        assert len(receiver.received) == 1
    events = outbox(app)
    assert made == 1
    assert sorted(e.state for e in events) == ["delivered", "pending", "pending"]
    assert sum(len(e.attempt_log) for e in events) == 1
    assert {e.claimed_by for e in events} == {None}, "the others are free for any worker"

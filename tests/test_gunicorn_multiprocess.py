"""Several gunicorn worker processes (the `pg_gunicorn` fixture), and several threads in each
(gthread, as gunicorn.conf.py serves by default), on one PostgreSQL database apply each
change once."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import Order, OrderEvent
from tests.support.callbacks import callback_for
from tests.support.gunicorn import Served, gunicorn
from tests.support.orders import make_order
from tests.support.wait import wait_for

# Slow: gunicorn with four workers.
pytestmark = pytest.mark.slow

ORDERS = 28


@pytest.fixture
def pg_gunicorn_threads(pg_app, tmp_path) -> Iterator[Served]:
    """The app on pg_app's database under 2 gthread workers × 4 threads, logging JSON."""
    _, url = pg_app
    env = {"APP_ENV": "testing", "DATABASE_URL": url, "LOG_FORMAT": "json"}
    log_path = tmp_path / "gunicorn.log"
    options = ["--threads", "4"]
    with gunicorn(
        env=env, workers=2, worker_class="gthread", options=options, log_path=log_path
    ) as served:
        yield served


@pytest.fixture(params=["pg_gunicorn", "pg_gunicorn_threads"], ids=["sync", "gthread"])
def served(request) -> Served:
    """The app under 4 sync workers, then under 2 gthread workers × 4 threads."""
    return request.getfixturevalue(request.param)


def plan_deliveries(app, orders: list[Order]) -> tuple[list[dict], dict[str, str]]:
    """Return a shuffled mix of callbacks and the final state each order must reach."""
    rng = random.Random(20261128)
    bodies: list[dict] = []
    expected: dict[str, str] = {}
    for index, order in enumerate(orders):
        kind = index % 4
        mismatch = callback_for(app, order, amount=order.amount + 100)
        if kind in (0, 1):  # paid, with duplicates, a fail after paid and a mismatch
            bodies += [callback_for(app, order)] * 6
            bodies += [callback_for(app, order, status="declined")] * 2 + [mismatch]
            expected[order.request_id] = "paid"
        elif kind == 2:  # failed, duplicates of the fail, a mismatched success
            bodies += [callback_for(app, order, status="fail")] * 6 + [mismatch] * 2
            expected[order.request_id] = "failed"
        else:  # only mismatches: never paid, flagged
            bodies += [mismatch] * 4 + [callback_for(app, order, status="pending")] * 2
            expected[order.request_id] = "pending"
    rng.shuffle(bodies)
    return bodies, expected


def test_gunicorn_workers_apply_concurrent_callbacks_once(pg_app, served):
    app, _ = pg_app
    base = served.url
    with app.app_context():
        orders = [make_order() for _ in range(ORDERS)]
        bodies, expected = plan_deliveries(app, orders)
    assert len(bodies) >= 200

    def deliver(body: dict) -> int:
        return requests.post(base + "/callback", json=body, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = Counter(pool.map(deliver, bodies))

    assert statuses == {200: len(bodies)}, statuses
    with app.app_context():
        for order in orders:
            stored = db.session.get(Order, order.id)
            assert stored.status == expected[order.request_id], order.request_id
            paid_transitions = db.session.scalar(
                select(func.count())
                .select_from(OrderEvent)
                .where(OrderEvent.order_id == order.id, OrderEvent.to_status == "paid")
            )
            assert paid_transitions == (1 if stored.status == "paid" else 0)
            if stored.status != "failed":
                assert stored.review_reason, "mismatches and late fails are flagged"
    expected_paid = sorted(rid for rid, state in expected.items() if state == "paid")
    # The workers write their last lines a moment after answering.
    wait_for(
        lambda: sorted(paid_lines(served.log())) == expected_paid,
        message=lambda: (
            f"not exactly one change to paid per paid order: {paid_lines(served.log())}"
        ),
    )


def paid_lines(log: str) -> list[str]:
    """Return the request_id of every `order_state` line to paid that a callback caused."""
    lines = [json.loads(line) for line in log.splitlines() if line[:1] == "{"]
    return [
        line["request_id"]
        for line in lines
        if line["event"] == "order_state"
        and line["kind"] == "callback"
        and line["to_status"] == "paid"
    ]

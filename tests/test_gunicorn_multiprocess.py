"""Several gunicorn worker processes (and threads) on one PostgreSQL database apply each
change once."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import Order, OrderEvent
from tests.callback_helpers import callback_for
from tests.conftest import make_order

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
ORDERS = 28


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# (worker class, processes, threads each): sync workers, and gthread as gunicorn.conf.py
# serves by default.
SERVINGS = [("sync", WORKERS, 1), ("gthread", 2, 4)]


@pytest.fixture(params=SERVINGS, ids=[serving[0] for serving in SERVINGS])
def gunicorn(request, pg_app, tmp_path):
    """Run the app under gunicorn with several workers; yield its URL and its log."""
    worker_class, workers, threads = request.param
    _, url = pg_app
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": url, "LOG_FORMAT": "json"}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--worker-class",
                worker_class,
                "--threads",
                str(threads),
                "--no-control-socket",
                "--bind",
                f"127.0.0.1:{port}",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # still booting
                pass
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "gunicorn did not start:\n" + log_path.read_text()
            time.sleep(0.2)
        yield base, log_path
    finally:
        process.terminate()
        process.wait(timeout=30)


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


def test_gunicorn_workers_apply_concurrent_callbacks_once(pg_app, gunicorn):
    app, _ = pg_app
    base, log_path = gunicorn
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
    time.sleep(0.5)  # let the workers flush their last log lines
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line[:1] == "{"]
    paid_lines = [
        line["request_id"]
        for line in lines
        if line["event"] == "order_state"
        and line["kind"] == "callback"
        and line["to_status"] == "paid"
    ]
    expected_paid = sorted(rid for rid, state in expected.items() if state == "paid")
    assert sorted(paid_lines) == expected_paid, "exactly one change to paid per paid order"

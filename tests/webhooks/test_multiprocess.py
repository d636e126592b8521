"""Many processes: gunicorn workers write events once, worker processes deliver each once,
and a worker killed mid-delivery loses nothing."""

from __future__ import annotations

import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.fake_gateway import Reply, fake_gateway
from tests.support.orders import make_order
from tests.support.processes import stop
from tests.support.wait import wait_for
from tests.support.webhooks import (
    SECRET,
    outbox,
    start_worker,
    webhook_settings,
    worker_environment,
)

# Slow: gunicorn and worker processes.
pytestmark = pytest.mark.slow

ORDERS = 40
COPIES = 4  # each success callback arrives this many times, concurrently


@pytest.fixture
def receiver(monkeypatch):
    """A merchant answering 200 at once; gunicorn's workers are told to send it webhooks."""
    with fake_gateway(Reply(200, body=b""), keep_alive=True) as receiver:
        for name, value in webhook_settings(receiver.url).items():
            if name.startswith("MERCHANT_"):
                monkeypatch.setenv(name, str(value))
        yield receiver


def test_two_workers_deliver_every_event_once_under_gunicorn(
    receiver, pg_app, pg_gunicorn, tmp_path
):

    app, database_url = pg_app
    base = pg_gunicorn.url
    with app.app_context():
        orders = [make_order() for _ in range(ORDERS)]
        bodies = [callback_for(app, order) for order in orders for _ in range(COPIES)]
    env = worker_environment(database_url, receiver.url)
    log = tmp_path / "workers.log"
    workers = [start_worker(env, log) for _ in range(2)]
    try:
        # Both must be working before the load starts: a worker still importing when the
        # last event is delivered would share no work, and SIGTERM would find no handler yet.
        wait_for(lambda: log.read_text().count("webhook_worker_started") == 2, timeout=30)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = Counter(
                pool.map(
                    lambda body: (
                        requests.post(base + "/callback", json=body, timeout=60).status_code
                    ),
                    bodies,
                )
            )
        assert statuses == {200: ORDERS * COPIES}
        wait_for(lambda: len(receiver.received) >= ORDERS, timeout=45)
        elapsed = time.monotonic() - started
    finally:
        # A graceful stop ends each worker's delivery under way: once they have exited,
        # anything sent twice has arrived.
        for worker in workers:
            stop(worker, timeout=15)

    events = outbox(app)
    ids = Counter(request.headers["webhook-id"] for request in receiver.received)
    assert len(events) == ORDERS and {event.type for event in events} == {"order.paid"}
    assert ids == {event.webhook_id: 1 for event in events}, "every event, none twice"
    unusual = [
        (event.webhook_id, event.state, event.attempt_log)
        for event in events
        if event.state != "delivered" or len(event.attempt_log) != 1
    ]
    assert not unusual, "each event delivered at its first attempt"
    by_worker = Counter(event.attempt_log[0].worker for event in events)
    print(
        f"\n{ORDERS * COPIES} callbacks through gunicorn ×4, {ORDERS} events delivered by "
        f"2 workers in {elapsed:.2f} s; per worker: {sorted(by_worker.values())}"
    )
    assert [worker.returncode for worker in workers] == [0, 0], log.read_text()


def test_a_worker_killed_mid_delivery_loses_nothing(database_url, tmp_path):
    """The merchant holds the first attempt; its worker is killed; another takes over."""
    replies = iter([Reply(200, delay=30), Reply(200)])
    with fake_gateway(lambda _request: next(replies)) as receiver:
        app = make_app(database_url, **webhook_settings(receiver.url))
        try:
            with app.app_context():
                order = make_order()
            app.test_client().post("/callback", json=callback_for(app, order))
            env = worker_environment(
                database_url, receiver.url, WEBHOOK_TIMEOUT="3", WEBHOOK_CLAIM_LEASE="4"
            )
            log = tmp_path / "workers.log"
            doomed = start_worker(env, log)
            wait_for(lambda: receiver.received, timeout=30)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
            successor = start_worker(env, log)
            try:
                wait_for(lambda: outbox(app)[0].state == "delivered", timeout=30)
            finally:
                stop(successor, timeout=15)
            [event] = outbox(app)
        finally:
            close_app(app)
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event.webhook_id
    assert first.body == second.body
    [attempt] = event.attempt_log  # the killed worker recorded nothing
    assert attempt.status_code == 200 and attempt.worker.endswith(f":{successor.pid}")
    assert SECRET not in log.read_text()

"""The worker: a clean stop on SIGTERM, the in-process thread of development, housekeeping."""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app import create_app
from checkout import housekeeping
from checkout.extensions import db
from checkout.models import Checkout, IdempotencyKey, Order, utcnow
from checkout.webhooks import EXTENSION
from config import Config
from tests.support.api import post_checkout_api
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.fake_gateway import Reply, fake_gateway
from tests.support.orders import make_order
from tests.support.wait import wait_for
from tests.support.webhooks import (
    deliver_due,
    outbox,
    start_worker,
    webhook_settings,
    worker_environment,
)


@pytest.mark.slow  # a worker process, held mid-delivery for seconds
def test_sigterm_lets_the_worker_finish_the_delivery_under_way(sqlite_url, tmp_path):
    with fake_gateway(Reply(200, delay=1.5)) as receiver:
        app = make_app(sqlite_url, **webhook_settings(receiver.url))
        with app.app_context():
            order = make_order()
        app.test_client().post("/callback", json=callback_for(app, order))
        log = tmp_path / "worker.log"
        worker = start_worker(worker_environment(sqlite_url, receiver.url), log)
        try:
            wait_for(lambda: receiver.received, timeout=30)
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=15) == 0, log.read_text()
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        [event] = outbox(app)
        close_app(app)
    assert event.state == "delivered", log.read_text()
    assert [attempt.status_code for attempt in event.attempt_log] == [200]
    assert "stopped after 1 attempt(s)" in log.read_text()


def test_development_delivers_from_the_web_process(sqlite_url):
    with fake_gateway(Reply(200)) as receiver:
        app = make_app(
            sqlite_url,
            **webhook_settings(receiver.url),
            WEBHOOK_IN_PROCESS=True,
            WEBHOOK_POLL_INTERVAL=0.05,
        )
        in_process = app.extensions[EXTENSION]
        try:
            with app.app_context():
                order = make_order()
            assert in_process.thread is None, "no thread until the app serves a request"
            app.test_client().post("/callback", json=callback_for(app, order))
            wait_for(lambda: receiver.received)
            [event] = outbox(app)
        finally:
            in_process.stop()
            close_app(app)
    assert receiver.received[0].headers["webhook-id"] == event.webhook_id
    assert not in_process.thread.is_alive()


def test_the_in_process_worker_is_on_in_development_only(tmp_path):
    dev = create_app(Config, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}"})
    assert EXTENSION in dev.extensions
    test = make_app(f"sqlite:///{tmp_path / 'test.db'}")
    assert EXTENSION not in test.extensions
    close_app(dev)
    close_app(test)


@pytest.fixture
def app(database_url):
    app = make_app(database_url, **webhook_settings())
    yield app
    close_app(app)


def test_a_registered_task_runs_once_per_interval_across_workers(app):
    runs: list[datetime] = []
    housekeeping.register(
        app, "count", lambda: runs.append(datetime.now()) or "ok", timedelta(seconds=0.5)
    )
    first, second = housekeeping.Housekeeper(app), housekeeping.Housekeeper(app)
    with app.app_context():
        first.run_due()
        second.run_due()
        assert len(runs) == 1
        time.sleep(0.6)
        second.run_due()
        first.run_due()
    assert len(runs) == 2


def offer_at_once(app, task: housekeeping.Task, workers: int = 8) -> list[bool]:
    """Have `workers` threads offer to take the task's turn at the same moment."""
    barrier = threading.Barrier(workers)
    taken: list[bool] = []

    def offer() -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            taken.append(housekeeping.take_turn(task))

    threads = [threading.Thread(target=offer) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return taken


def test_concurrent_workers_take_one_turn(app):
    """Eight workers offer at once, for a task never run before and then for its next turn."""
    task = housekeeping.Task("race", timedelta(seconds=0.3), lambda: "ok")
    assert sorted(offer_at_once(app, task)) == [False] * 7 + [True]
    time.sleep(0.35)
    assert sorted(offer_at_once(app, task)) == [False] * 7 + [True]


def test_the_worker_closes_stale_orders(database_url):
    """Pending too long expires; created too long (its gateway call never ended) fails."""
    app = make_app(database_url, **webhook_settings(), ORDERS_EXPIRE_AFTER="30m")
    try:
        with app.app_context():
            stale = make_order(created_at=utcnow() - timedelta(hours=1))
            fresh = make_order()
            stuck = make_order(status="created", created_at=utcnow() - timedelta(hours=1))
        deliver_due(app)
        with app.app_context():
            statuses = dict(db.session.execute(select(Order.id, Order.status)).all())
        events = outbox(app)
    finally:
        close_app(app)
    assert statuses == {stale.id: "expired", fresh.id: "pending", stuck.id: "failed"}
    assert [event.type for event in events] == ["order.expired", "order.failed"]


def test_the_worker_runs_the_checkouts_api_chores(database_url):
    """Checkouts whose time is up expire; Idempotency-Keys older than a day are forgotten."""
    app = make_app(database_url, **webhook_settings())
    client = app.test_client()
    try:
        checkout = post_checkout_api(
            client,
            {"site_login": "alice", "amount": 9000, "currency": "KZT"},
            **{"Idempotency-Key": "key-1"},
        ).get_json()
        with app.app_context():
            db.session.execute(update(Checkout).values(expires_at=utcnow() - timedelta(seconds=1)))
            db.session.execute(
                update(IdempotencyKey).values(created_at=utcnow() - timedelta(days=2))
            )
            db.session.commit()
        deliver_due(app)
        with app.app_context():
            status = db.session.scalar(select(Checkout.status))
            keys = db.session.scalar(select(func.count()).select_from(IdempotencyKey))
    finally:
        close_app(app)
    assert checkout["status"] == "open"
    assert (status, keys) == ("expired", 0)

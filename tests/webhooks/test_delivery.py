"""Delivery to a real local HTTP receiver: signed, retried, recorded, resent with the same id."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from standardwebhooks import Webhook

from checkout.extensions import db
from checkout.webhooks import outbox as webhook_outbox
from checkout.webhooks.client import DeliveryClient
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.fake_gateway import Reply, fake_gateway, refused_url
from tests.support.orders import make_order
from tests.support.webhooks import SECRET, deliver_due, outbox, webhook_settings


@pytest.fixture
def receiver():
    with fake_gateway(Reply(json={"ok": True}), keep_alive=True) as receiver:
        yield receiver


@pytest.fixture
def build_app(sqlite_url):
    """Build an app sending webhooks to `url`; closed after the test."""
    apps = []

    def build(url: str, **overrides):
        app = make_app(sqlite_url, **webhook_settings(url, **overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:
        close_app(app)


def pay(app, **fields) -> str:
    """Create an order and mark it paid through a callback; return its request_id."""
    with app.app_context():
        order = make_order(**fields)
    assert app.test_client().post("/callback", json=callback_for(app, order)).status_code == 200
    return order.request_id


def test_deliveries_verify_with_the_standard_webhooks_library(build_app, receiver):
    app = build_app(receiver.url + "/hooks?token=t0ken")
    request_id = pay(app)

    assert deliver_due(app) == 1
    [request] = receiver.received
    assert (request.method, request.path) == ("POST", "/hooks?token=t0ken")
    assert request.headers["content-type"] == "application/json"
    body = Webhook(SECRET).verify(request.body, request.headers)
    assert body["type"] == "order.paid" and body["data"]["request_id"] == request_id
    [event] = outbox(app)
    assert request.headers["webhook-id"] == event.webhook_id
    assert request.body.decode() == event.payload
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 30
    assert event.state == "delivered" and event.delivered_at is not None


def test_a_signature_under_another_secret_does_not_verify(build_app, receiver):
    app = build_app(receiver.url)
    pay(app)
    deliver_due(app)

    [request] = receiver.received
    other = "whsec_" + "b" * 43 + "="
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(other).verify(request.body, request.headers)


def test_500_500_200_makes_three_attempts_under_one_id(build_app, receiver):
    replies = iter([Reply(500, body=b"down"), Reply(500, body=b"still down"), Reply(200)])
    receiver.answer(lambda _request: next(replies))
    app = build_app(receiver.url)
    pay(app)

    assert deliver_due(app) == 3
    assert len({request.headers["webhook-id"] for request in receiver.received}) == 1
    signatures = {request.headers["webhook-signature"] for request in receiver.received}
    assert len(signatures) >= 1
    for request in receiver.received:
        Webhook(SECRET).verify(request.body, request.headers)
    [event] = outbox(app)
    assert event.state == "delivered" and event.attempts == 3
    codes = [attempt.status_code for attempt in event.attempt_log]
    assert codes == [500, 500, 200]
    assert [attempt.response for attempt in event.attempt_log[:2]] == ["down", "still down"]
    assert all(attempt.duration_ms >= 0 and attempt.worker for attempt in event.attempt_log)


def test_a_redirect_is_a_failed_attempt_and_never_followed(build_app, receiver):
    redirect = Reply(302, body=b"", headers={"Location": "/elsewhere"})
    replies = iter([redirect, Reply(204, body=b"")])
    receiver.answer(lambda _request: next(replies))
    app = build_app(receiver.url + "/hooks")
    pay(app)

    assert deliver_due(app) == 2
    assert [request.path for request in receiver.received] == ["/hooks", "/hooks"]
    [event] = outbox(app)
    assert [attempt.status_code for attempt in event.attempt_log] == [302, 204]
    assert event.state == "delivered"


def test_no_answer_in_time_is_retried(build_app, receiver):
    replies = iter([Reply(200, delay=5), Reply(200)])
    receiver.answer(lambda _request: next(replies))
    app = build_app(receiver.url, WEBHOOK_TIMEOUT=0.5, WEBHOOK_CONNECT_TIMEOUT=0.5)
    pay(app)

    started = time.monotonic()
    assert deliver_due(app) == 2
    assert time.monotonic() - started < 3
    [event] = outbox(app)
    first, second = event.attempt_log
    assert first.status_code is None and first.error == "no complete answer within 0.5 s"
    assert 400 <= first.duration_ms < 2000
    assert second.status_code == 200 and event.state == "delivered"


@contextmanager
def trickling_server(interval: float) -> Iterator[str]:
    """Serve an answer one byte per `interval`: each wait is short, the whole is endless."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 1000:
                if stop.wait(interval):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def test_the_total_time_out_bounds_an_answer_that_trickles():
    client = DeliveryClient(connect_timeout=1, total_timeout=1)
    with trickling_server(0.1) as url:
        started = time.monotonic()
        answer = client.post(url, "{}", {})
        elapsed = time.monotonic() - started
    client.close()
    assert answer.error == "no complete answer within 1 s" and not answer.delivered
    assert elapsed < 2


def test_an_answer_that_trickles_after_quick_ones_is_cut_at_its_own_deadline(receiver):
    """The deadline thread sleeps through quick answers; a later slow one is still cut."""
    client = DeliveryClient(connect_timeout=1, total_timeout=1)
    for _ in range(3):
        assert client.post(receiver.url, "{}", {}).delivered
    time.sleep(0.5)  # the quick answers' deadlines are half gone, the next one's is whole
    with trickling_server(0.1) as url:
        started = time.monotonic()
        answer = client.post(url, "{}", {})
        elapsed = time.monotonic() - started
    client.close()
    assert answer.error == "no complete answer within 1 s"
    assert 0.9 < elapsed < 2


class CountingCondition(threading.Condition):
    """A condition that counts how often a thread waiting on it is woken."""

    notified = 0

    def notify(self, n: int = 1) -> None:
        self.notified += 1
        super().notify(n)


def test_quick_deliveries_do_not_wake_the_deadline_thread(receiver):
    """Waking it on every delivery cost the worker two switches between threads each."""
    client = DeliveryClient(connect_timeout=1, total_timeout=5)
    client.watchdog._changed = condition = CountingCondition()
    for _ in range(20):
        assert client.post(receiver.url, "{}", {}).delivered
    client.close()
    assert condition.notified <= 2  # the first deadline, and close()


def test_the_session_reuses_its_connection(build_app, receiver):
    app = build_app(receiver.url)
    for _ in range(3):
        pay(app)

    assert deliver_due(app) == 3
    assert len({request.client_port for request in receiver.received}) == 1


def test_only_the_first_kilobyte_of_an_answer_is_kept(build_app, receiver):
    receiver.answer(Reply(503, body="é".encode() * 3000, content_type="text/plain"))
    app = build_app(receiver.url, WEBHOOK_RETRY_DELAYS=[])
    pay(app)

    deliver_due(app)
    [event] = outbox(app)
    [attempt] = event.attempt_log
    assert attempt.status_code == 503 and len(attempt.response) <= 1024
    assert attempt.response.startswith("é" * 100)


def test_receiver_down_fails_after_every_retry_then_a_resend_delivers_the_same_id(build_app):
    down = refused_url()
    app = build_app(down + "/hooks?token=s3cret-in-url", WEBHOOK_RETRY_DELAYS=[0, 0])
    pay(app)

    assert deliver_due(app) == 3
    [event] = outbox(app)
    assert event.state == "failed" and event.attempts == 3
    for attempt in event.attempt_log:
        assert attempt.status_code is None
        assert attempt.error.startswith("connection failed")
        assert "s3cret" not in attempt.error and SECRET not in attempt.error

    with fake_gateway(Reply(200)) as receiver:
        app.config["MERCHANT_WEBHOOK_URL"] = receiver.url
        with app.app_context():
            webhook_outbox.resend(event.webhook_id)
        assert deliver_due(app) == 1
        [request] = receiver.received
    assert request.headers["webhook-id"] == event.webhook_id
    Webhook(SECRET).verify(request.body, request.headers)
    [event] = outbox(app)
    assert event.state == "delivered" and len(event.attempt_log) == 4


def test_retries_wait_for_their_delay(build_app, receiver):
    receiver.answer(Reply(500))
    app = build_app(receiver.url, WEBHOOK_RETRY_DELAYS=[300])
    pay(app)

    assert deliver_due(app) == 1
    assert deliver_due(app) == 0, "the retry is due in five minutes, not now"
    [event] = outbox(app)
    wait = (event.next_attempt_at - event.attempt_log[0].started_at).total_seconds()
    assert event.state == "pending" and 300 <= wait <= 300 * 1.1 + 1


def test_attempts_never_store_the_secret_or_the_signature(build_app, receiver):
    receiver.answer(lambda request: Reply(500, body=b"no"))
    app = build_app(receiver.url, WEBHOOK_RETRY_DELAYS=[])
    pay(app)
    deliver_due(app)

    [request] = receiver.received
    [event] = outbox(app)
    stored = repr([vars(attempt) for attempt in event.attempt_log]) + event.payload
    assert SECRET not in stored and request.headers["webhook-signature"] not in stored


def test_an_expired_claim_is_taken_over_and_a_stale_worker_cannot_settle_it(build_app, receiver):
    from datetime import timedelta

    from checkout.models import utcnow
    from checkout.webhooks.client import Answer

    app = build_app(receiver.url)
    pay(app)
    with app.app_context():
        lease = timedelta(seconds=60)
        [first] = webhook_outbox.claim_next("worker-a", lease, 10)
        assert webhook_outbox.claim_next("worker-b", lease, 10) == []
        later = utcnow() + timedelta(seconds=61)
        [second] = webhook_outbox.claim_next("worker-b", lease, 10, now=later)
        assert second.event_id == first.event_id
        # worker-a wakes up after its lease: its attempt is kept, the event stays worker-b's.
        made = webhook_outbox.Attempt(
            first,
            Answer(5, status_code=200),
            started_at=utcnow(),
            worker="worker-a",
            next_attempt_at=None,
        )
        webhook_outbox.claim_next("worker-a", lease, 0, made=[made])
        db.session.expire_all()
    [event] = outbox(app)
    assert event.state == "pending" and event.claimed_by == second.token
    assert [attempt.worker for attempt in event.attempt_log] == ["worker-a"]

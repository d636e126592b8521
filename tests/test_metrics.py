"""/metrics: protected by its token, labelled by endpoint, counting what operators watch.

Counters live for the whole test process, so each test compares a scrape before and after.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text, update

from checkout import metrics
from checkout.extensions import db
from checkout.models import utcnow
from checkout.webhooks import outbox
from checkout.webhooks.models import WebhookEvent
from tests.support.api import new_checkout, post_checkout_api
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.checkout import post_checkout
from tests.support.fake_gateway import Reply, fake_gateway, refused_url
from tests.support.metrics import TOKEN, scrape, value
from tests.support.orders import make_order
from tests.support.webhooks import deliver_due, webhook_settings


@pytest.fixture
def app_overrides() -> dict:
    return {"METRICS_TOKEN": TOKEN}


@pytest.fixture
def app_on(database_url: str) -> Iterator[Flask]:
    """The app with metrics on, on SQLite and on PostgreSQL."""
    app = make_app(database_url, METRICS_TOKEN=TOKEN)
    yield app
    close_app(app)


def test_metrics_do_not_exist_without_a_token(sqlite_url):
    app = make_app(sqlite_url, METRICS_TOKEN=None)
    try:
        response = app.test_client().get("/metrics", headers={"Authorization": "Bearer x"})
        assert response.status_code == 404
        assert "checkout_" not in response.get_data(as_text=True)
    finally:
        close_app(app)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        f"{TOKEN}",
        "Bearer tökén",
    ],
)
def test_metrics_refuse_a_missing_or_wrong_token(client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "checkout_" not in response.get_data(as_text=True)


def test_the_bearer_scheme_is_case_insensitive(client):
    response = client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert response.headers["Cache-Control"] == "no-store"


def test_requests_are_counted_by_endpoint_never_by_path(client):
    before = scrape(client)
    paths = [f"/orders/probe{n}x7q/status" for n in range(3)]
    for path in paths:
        assert client.get(path).status_code == 404
    assert client.get("/no/such/page-k2v9").status_code == 404
    assert client.open("/", method="BREW").status_code == 405
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    text = response.get_data(as_text=True)
    after = scrape(client)

    def delta(**labels: str) -> float:
        name = "checkout_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(endpoint="checkout.order_status", method="GET", status="404") == 3
    assert delta(endpoint="unmatched", method="GET", status="404") == 1
    assert delta(endpoint="unmatched", method="other", status="405") == 1
    for raw in ("probe0x7q", "page-k2v9", "BREW"):
        assert raw not in text
    durations = "checkout_http_request_duration_seconds_count"
    assert value(after, durations, endpoint="checkout.order_status") >= 3


def test_a_paid_callback_counts_its_outcome_transition_and_time_to_paid(app_on):
    client = app_on.test_client()
    with app_on.app_context():
        order = make_order(created_at=utcnow() - timedelta(seconds=90))
    body = callback_for(app_on, order)
    before = scrape(client)
    assert client.post("/callback", json=body).status_code == 200
    assert client.post("/callback", json=body).status_code == 200  # a duplicate
    forged = {**body, "signature": "0" * 64}
    assert client.post("/callback", json=forged).status_code == 403
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("checkout_callbacks_total", outcome="accepted") == 1
    assert delta("checkout_callbacks_total", outcome="duplicate") == 1
    assert delta("checkout_callbacks_total", outcome="bad_signature") == 1
    transition = {"from_status": "pending", "to_status": "paid"}
    assert delta("checkout_order_transitions_total", **transition) == 1
    assert delta("checkout_order_time_to_paid_seconds_count") == 1
    assert 90 <= delta("checkout_order_time_to_paid_seconds_sum") < 120
    # The 90 s fall in the 120 s bucket, not in the 60 s one.
    assert delta("checkout_order_time_to_paid_seconds_bucket", le="60.0") == 0
    assert delta("checkout_order_time_to_paid_seconds_bucket", le="120.0") == 1


def test_orders_pending_past_their_expiry_are_a_gauge_read_at_scrape_time(database_url):
    app = make_app(database_url, METRICS_TOKEN=TOKEN, ORDERS_EXPIRE_AFTER="30m")
    try:
        client = app.test_client()
        assert value(scrape(client), "checkout_orders_pending_past_expiry") == 0
        old = utcnow() - timedelta(seconds=1801)
        with app.app_context():
            make_order("pending", created_at=old)
            make_order("pending", created_at=old)
            make_order("pending", created_at=utcnow() - timedelta(seconds=1700))
            make_order("paid", created_at=old)
            make_order("failed", created_at=old)
        assert value(scrape(client), "checkout_orders_pending_past_expiry") == 2
    finally:
        close_app(app)


GATEWAY_CASES = {
    "key": (lambda: Reply(json={"key": "k"}), {}, None),
    "HTTP 503": (lambda: Reply(status=503, json={"error": "down"}), {}, "http_error"),
    "HTTP 403": (lambda: Reply(status=403, json={"error": "no"}), {}, "http_error"),
    "not JSON": (lambda: Reply(body=b"<html>"), {}, "bad_answer"),
    "no key": (lambda: Reply(json={}), {}, "bad_answer"),
    "slow": (lambda: Reply(json={"key": "k"}, delay=2), {"GATEWAY_TIMEOUT": 0.3}, "timeout"),
    "zero time-out": (lambda: Reply(json={"key": "k"}), {"GATEWAY_TIMEOUT": 0.0}, "misconfigured"),
}


@pytest.mark.parametrize("case", GATEWAY_CASES.values(), ids=GATEWAY_CASES.keys())
def test_obtain_token_is_timed_and_its_failures_counted_by_kind(sqlite_url, case):
    reply, settings, kind = case
    with fake_gateway(reply()) as gateway:
        app = make_app(sqlite_url, METRICS_TOKEN=TOKEN, GATEWAY_BASE_URL=gateway.url)
        app.config.update(settings)  # after the start-up checks, which refuse a zero time-out
        try:
            client = app.test_client()
            before = scrape(client)
            status = post_checkout(client).status_code
            after = scrape(client)
        finally:
            close_app(app)
    assert status == (303 if kind is None else 502)
    calls = "checkout_gateway_obtain_token_duration_seconds_count"
    assert value(after, calls) - value(before, calls) == 1
    failures = "checkout_gateway_obtain_token_failures_total"
    for counted in ("timeout", "unreachable", "http_error", "bad_answer", "misconfigured"):
        expected = 1 if counted == kind else 0
        assert value(after, failures, kind=counted) - value(before, failures, kind=counted) == (
            expected
        ), counted


def test_an_unreachable_gateway_is_counted_as_unreachable(sqlite_url):
    app = make_app(sqlite_url, METRICS_TOKEN=TOKEN, GATEWAY_BASE_URL=refused_url())
    try:
        client = app.test_client()
        before = scrape(client)
        assert post_checkout(client).status_code == 502
        after = scrape(client)
    finally:
        close_app(app)
    failures = "checkout_gateway_obtain_token_failures_total"
    delta = value(after, failures, kind="unreachable") - value(before, failures, kind="unreachable")
    assert delta == 1


def test_checkouts_created_are_counted_once_each(client):
    before = scrape(client)
    new_checkout(client)
    key = {"Idempotency-Key": "metrics-once"}
    body = {"site_login": "bob", "amount": 100, "currency": "KZT"}
    assert post_checkout_api(client, body, **key).status_code == 201
    assert post_checkout_api(client, body, **key).status_code == 201  # a replay: nothing new
    assert post_checkout_api(client, {"site_login": ""}).status_code == 422
    after = scrape(client)
    created = "checkout_checkouts_created_total"
    assert value(after, created) - value(before, created) == 2


def test_webhook_backlog_age_and_recent_attempts_are_read_at_scrape_time(database_url):
    with fake_gateway(Reply(status=500, json={"error": "down"})) as receiver:
        app = make_app(database_url, METRICS_TOKEN=TOKEN, **webhook_settings(receiver.url))
        try:
            client = app.test_client()
            with app.app_context():
                order = make_order(created_at=utcnow() - timedelta(minutes=5))
            assert value(scrape(client), "checkout_webhook_backlog") == 0
            assert client.post("/callback", json=callback_for(app, order)).status_code == 200
            with app.app_context():  # the event waits as if written 2 minutes ago
                db.session.execute(
                    update(WebhookEvent).values(created_at=utcnow() - timedelta(minutes=2))
                )
                db.session.commit()
            samples = scrape(client)
            assert value(samples, "checkout_webhook_backlog") == 1
            assert 120 <= value(samples, "checkout_webhook_oldest_pending_age_seconds") < 180
            assert value(samples, "checkout_webhook_attempts_recent", result="failed") == 0

            deliver_due(app)  # 1 + 3 retries at once, each answered 500: given up
            samples = scrape(client)
            assert value(samples, "checkout_webhook_attempts_recent", result="failed") == 4
            assert value(samples, "checkout_webhook_attempts_recent", result="delivered") == 0
            assert value(samples, "checkout_webhook_backlog") == 0  # failed is not waiting
            assert value(samples, "checkout_webhook_oldest_pending_age_seconds") == 0

            receiver.answer(Reply(json={"ok": True}))
            with app.app_context():
                [event] = db.session.scalars(select(WebhookEvent)).all()
                outbox.resend(event.webhook_id)
            deliver_due(app)
            samples = scrape(client)
            assert value(samples, "checkout_webhook_attempts_recent", result="delivered") == 1
        finally:
            close_app(app)


def test_a_change_rolled_back_is_not_counted(sqlite_url):
    app = make_app(sqlite_url, METRICS_TOKEN=TOKEN, **webhook_settings())
    try:
        client = app.test_client()
        with app.app_context():
            order = make_order()
        before = scrape(client)
        with app.app_context():
            # The state change succeeds, then writing its webhook event fails: all rolls back.
            db.session.execute(text("DROP TABLE webhook_events"))
            db.session.commit()
        assert client.post("/callback", json=callback_for(app, order)).status_code == 500
        with app.app_context():
            db.create_all()  # back, for the scrape
        after = scrape(client)
    finally:
        close_app(app)
    transition = {"from_status": "pending", "to_status": "paid"}
    name = "checkout_order_transitions_total"
    assert value(after, name, **transition) - value(before, name, **transition) == 0
    paid = "checkout_order_time_to_paid_seconds_count"
    assert value(after, paid) - value(before, paid) == 0
    errors = "checkout_callbacks_total"
    assert value(after, errors, outcome="error") - value(before, errors, outcome="error") == 1


def test_a_scrape_never_shows_a_delivered_attempt_whose_event_still_waits(
    database_url, monkeypatch
):
    """A worker commits between the scrape's two reads: whichever it read first, the two
    must agree (the deployment test's flake: backlog 1 beside its delivered attempt)."""
    with fake_gateway(Reply(json={"ok": True})) as receiver:
        app = make_app(database_url, METRICS_TOKEN=TOKEN, **webhook_settings(receiver.url))
        try:
            client = app.test_client()
            with app.app_context():
                order = make_order()
            assert client.post("/callback", json=callback_for(app, order)).status_code == 200
            delivered = []

            def then_a_worker_delivers(read):
                def reading(*args):
                    answer = read(*args)
                    if not delivered:
                        worker = threading.Thread(target=lambda: delivered.append(deliver_due(app)))
                        worker.start()
                        worker.join()
                    return answer

                return reading

            for name in ("backlog", "attempts_since"):
                read = getattr(metrics.outbox_repository, name)
                monkeypatch.setattr(metrics.outbox_repository, name, then_a_worker_delivers(read))
            samples = scrape(client)
            assert delivered == [1]
            shown = value(samples, "checkout_webhook_attempts_recent", result="delivered")
            assert (shown, value(samples, "checkout_webhook_backlog")) in {(0, 1), (0, 0), (1, 0)}
        finally:
            close_app(app)

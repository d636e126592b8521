"""The shop's webhook receiver, on both engines: stored first, verified with the Standard
Webhooks library, de-duplicated on webhook-id and credited once — by the database, also
when deliveries race — and never a 500 for anything a sender can send."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from checkout.demo_shop import deposits
from checkout.demo_shop.models import Deposit, ReceivedWebhook
from checkout.extensions import db
from checkout.webhooks.signing import headers as signed_headers
from tests.demo_shop.helpers import make_shop_app
from tests.support.apps import close_app
from tests.support.live import serve
from tests.support.webhooks import SECRET

RECEIVER = "/demo-shop/webhooks"
OTHER_SECRET = "whsec_" + "b3RoZXIgc2VjcmV0IG9mIDMyIGJ5dGVzLCByYW5kb20="


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = make_shop_app(database_url, WEBHOOK_IN_PROCESS=False, MERCHANT_WEBHOOK_SECRET=SECRET)
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def shop_deposit(app: Flask) -> Deposit:
    """An open deposit of 90.00 KZT whose checkout is `chk_1`."""
    with app.app_context():
        made = deposits.start("demo-user", 9000, "KZT", "k" * 32)
        deposits.opened(made, "chk_1", "http://127.0.0.1/c/chk_1")
        return made


def event(event_type: str = "order.paid", **order: object) -> str:
    data = {
        "request_id": "r1",
        "checkout_id": "chk_1",
        "status": "paid",
        "amount": 9000,
        "currency": "KZT",
        "site_login": "demo-user",
        **order,
    }
    return json.dumps({"type": event_type, "timestamp": "2026-11-28T12:00:00Z", "data": data})


def delivery(
    body: str, webhook_id: str = "msg_1", secret: str = SECRET, at: datetime | None = None
) -> dict[str, str]:
    """Return the headers the checkout's webhooks carry, signed by the Standard Webhooks library."""
    at = at or datetime.now(UTC)
    return {"Content-Type": "application/json", **signed_headers(secret, webhook_id, body, at)}


def post(client, body: str | bytes, headers: dict[str, str]):
    return client.post(RECEIVER, data=body, headers=headers)


def state(app: Flask) -> tuple[str, bool, list[tuple[str, bool]]]:
    """Return the deposit's status, whether it is credited, and each delivery's outcome."""
    with app.app_context():
        made = db.session.scalars(select(Deposit)).one()
        records = db.session.scalars(select(ReceivedWebhook).order_by(ReceivedWebhook.id))
        log = [(record.outcome, record.verified) for record in records]
        return made.status, made.credited_at is not None, log


def test_a_verified_paid_event_credits_the_deposit(app, client, shop_deposit):
    answer = post(client, event(), delivery(event()))
    assert answer.status_code == 200
    assert answer.get_json() == {
        "outcome": "credited",
        "detail": "credited KZT\u00a090.00 to demo-user",
    }
    assert state(app) == ("credited", True, [("credited", True)])
    with app.app_context():
        assert deposits.balances("demo-user") == [("KZT", 9000)]


def test_the_same_webhook_id_again_does_nothing_again(app, client, shop_deposit):
    body = event()
    for _ in range(3):
        assert post(client, body, delivery(body)).status_code == 200
    assert state(app)[2] == [("credited", True), ("duplicate", True), ("duplicate", True)]
    with app.app_context():
        assert deposits.balances("demo-user") == [("KZT", 9000)]


def test_another_webhook_about_the_paid_order_credits_nothing_more(app, client, shop_deposit):
    body = event()
    post(client, body, delivery(body, "msg_1"))
    again = post(client, body, delivery(body, "msg_2"))
    assert again.get_json()["outcome"] == "already_credited"
    with app.app_context():
        assert deposits.balances("demo-user") == [("KZT", 9000)]


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda body, headers: (body, {}), "Missing required headers"),
        (lambda body, headers: (body, {**headers, "webhook-id": "msg_2"}), "No matching"),
        (lambda body, headers: (body.replace("9000", "9"), headers), "No matching"),
        (lambda body, headers: (body, delivery(body, secret=OTHER_SECRET)), "No matching"),
        (
            lambda body, headers: (
                body,
                delivery(body, at=datetime.now(UTC) - timedelta(minutes=10)),
            ),
            "too old",
        ),
        (
            lambda body, headers: (body, delivery(body, at=datetime.now(UTC) + timedelta(hours=1))),
            "too new",
        ),
        (lambda body, headers: (body, {**headers, "webhook-signature": "v1"}), "malformed"),
        (lambda body, headers: (body, {**headers, "webhook-signature": "v1,a,b"}), "malformed"),
        (lambda body, headers: (body, {**headers, "webhook-signature": "v1,%%%%"}), "No matching"),
        (lambda body, headers: (body, {**headers, "webhook-signature": "v1,abc"}), "malformed"),
        (lambda body, headers: (body, {**headers, "webhook-signature": "v2,abcd"}), "No matching"),
        (lambda body, headers: (body, {**headers, "webhook-timestamp": "nan"}), "Invalid"),
        (lambda body, headers: (body, {**headers, "webhook-timestamp": "1e400"}), "Invalid"),
        (lambda body, headers: (body.encode() + b"\xff", headers), "not UTF-8"),
    ],
)
def test_a_delivery_without_a_good_signature_is_stored_and_refused(
    app, client, shop_deposit, mangle, reason
):
    body, headers = mangle(event(), delivery(event()))
    answer = post(client, body, headers)
    assert answer.status_code == 400
    assert answer.get_json()["outcome"] == "bad_signature"
    assert reason in answer.get_json()["detail"]
    assert state(app) == ("open", False, [("bad_signature", False)])


@pytest.mark.parametrize(
    ("body", "webhook_id", "reason"),
    [
        ("[]", "msg_1", 'not {"type": ..., "data": {...}}'),
        ('{"type": "order.paid", "data": 1}', "msg_1", 'not {"type"'),
        ("[" * 100 + "]" * 100, "msg_1", "nested more than"),
        (event(), "m" * 65, "longer than 64"),
    ],
)
def test_a_signed_event_the_shop_cannot_read_is_refused(
    app, client, shop_deposit, body, webhook_id, reason
):
    answer = post(client, body, delivery(body, webhook_id))
    assert answer.status_code == 400
    assert answer.get_json()["outcome"] == "unreadable"
    assert reason in answer.get_json()["detail"]
    assert state(app) == ("open", False, [("unreadable", True)])


def test_an_order_of_no_deposit_is_acknowledged_and_changes_nothing(app, client, shop_deposit):
    body = event(checkout_id=None)
    answer = post(client, body, delivery(body))
    assert (answer.status_code, answer.get_json()["outcome"]) == (200, "not_ours")
    assert state(app)[:2] == ("open", False)


@pytest.mark.parametrize(
    "order",
    [{"amount": 8999}, {"currency": "USD"}, {"site_login": "mallory"}, {"amount": "9000"}],
)
def test_a_paid_event_that_is_not_what_the_deposit_asked_is_held_not_credited(
    app, client, shop_deposit, order
):
    body = event(**order)
    answer = post(client, body, delivery(body))
    assert answer.get_json()["outcome"] == "mismatch"
    assert state(app)[:2] == ("flagged", False)


def test_a_late_success_after_failure_credits_and_a_late_failure_uncredits_nothing(
    app, client, shop_deposit
):
    for number, (kind, status) in enumerate(
        [("order.failed", "failed"), ("order.paid", "paid"), ("order.failed", "failed")]
    ):
        body = event(kind, status=status)
        post(client, body, delivery(body, f"msg_{number}"))
    assert state(app)[:2] == ("credited", True)


def test_a_flag_after_the_credit_keeps_it_and_marks_it_for_review(app, client, shop_deposit):
    for number, kind in enumerate(["order.paid", "order.flagged"]):
        body = event(kind)
        post(client, body, delivery(body, f"msg_{number}"))
    with app.app_context():
        made = db.session.scalars(select(Deposit)).one()
        assert (made.status, made.needs_review) == ("credited", True)
        assert "flagged this payment for review" in made.note


def race(url: str, deliveries: list[tuple[str, dict[str, str]]]) -> list[str]:
    """POST all deliveries at the same moment over real HTTP; return the outcomes."""
    outcomes: list[str] = []
    start = threading.Barrier(len(deliveries))

    def send(body: str, headers: dict[str, str]) -> None:
        start.wait()
        answer = requests.post(url, data=body, headers=headers, timeout=20)
        outcomes.append(answer.json()["outcome"])

    threads = [threading.Thread(target=send, args=delivery_) for delivery_ in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(outcomes)


def test_the_same_delivery_racing_itself_credits_once(app, shop_deposit):
    server, stop = serve(app)
    try:
        body = event()
        outcomes = race(server.url + RECEIVER, [(body, delivery(body))] * 8)
    finally:
        stop()
    assert outcomes == ["credited"] + ["duplicate"] * 7
    with app.app_context():
        assert deposits.balances("demo-user") == [("KZT", 9000)]


def test_different_webhooks_about_one_paid_order_racing_credit_once(app, shop_deposit):
    server, stop = serve(app)
    try:
        body = event()
        sends = [(body, delivery(body, f"msg_{number}")) for number in range(8)]
        outcomes = race(server.url + RECEIVER, sends)
    finally:
        stop()
    assert outcomes == ["already_credited"] * 7 + ["credited"]
    with app.app_context():
        assert deposits.balances("demo-user") == [("KZT", 9000)]

"""POST /callback: stored first, verified, answered per DESIGN §5, applied once."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import CallbackRecord, Order, OrderEvent
from checkout.signals import order_paid
from tests.callback_helpers import callback_for
from tests.conftest import make_order
from tests.log_helpers import logged


@pytest.fixture
def order(app):
    with app.app_context():
        return make_order()


@pytest.fixture
def paid_signals(app):
    """Collect the orders for which order_paid was sent."""
    received: list[str] = []

    def receiver(sender, order):
        received.append(order.request_id)

    order_paid.connect(receiver, sender=app)
    yield received
    order_paid.disconnect(receiver, sender=app)


def reload(app, order: Order) -> Order:
    with app.app_context():
        return db.session.scalar(select(Order).where(Order.id == order.id))


def records(app) -> list[CallbackRecord]:
    with app.app_context():
        return list(db.session.scalars(select(CallbackRecord).order_by(CallbackRecord.id)))


def test_signed_json_callback_marks_order_paid(app, client, order, paid_signals):
    response = client.post("/callback", json=callback_for(app, order))
    assert response.status_code == 200
    assert response.json == {"status": "ok", "outcome": "accepted"}
    assert reload(app, order).status == "paid"
    assert reload(app, order).paid_at is not None
    assert paid_signals == [order.request_id]


def test_signed_form_encoded_callback_marks_order_paid(app, client, order):
    body = urlencode(callback_for(app, order))
    response = client.post("/callback", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert reload(app, order).status == "paid"


def test_md5_scheme_verifies_callbacks(tmp_path):
    from tests.conftest import close_app, make_app

    app = make_app(f"sqlite:///{tmp_path / 'md5.sqlite3'}", GATEWAY_SIGNATURE_SCHEME="md5")
    try:
        with app.app_context():
            order = make_order()
            fields = callback_for(app, order)
        assert len(fields["signature"]) == 32
        assert app.test_client().post("/callback", json=fields).status_code == 200
        assert reload(app, order).status == "paid"
    finally:
        close_app(app)


def test_every_callback_is_stored_with_body_headers_and_outcome(app, client, order):
    fields = callback_for(app, order)
    client.post(
        "/callback",
        json=fields,
        headers={"User-Agent": "Cactusgino/1.0", "X-Request-Id": "abc"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    (record,) = records(app)
    assert json.loads(record.body) == fields
    assert record.content_type == "application/json"
    assert record.headers["User-Agent"] == "Cactusgino/1.0"
    assert record.headers["X-Request-Id"] == "abc"
    assert record.source_ip == "203.0.113.7"
    assert record.outcome == "accepted"
    assert record.request_id == order.request_id
    assert record.order_id == order.id
    assert record.received_at is not None


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ("{not json", "application/json", "not valid JSON"),
        ("[1, 2]", "application/json", "JSON object"),
        ("", "application/x-www-form-urlencoded", "missing field"),
        ('{"status": "success"}', "application/json", "missing field"),
        ("a=1&a=2&status=x", "application/x-www-form-urlencoded", "more than once"),
        ("%%%", "application/x-www-form-urlencoded", "neither JSON nor form-encoded"),
        ("\x00\xff garbage", "text/plain", "neither JSON nor form-encoded"),
    ],
)
def test_malformed_bodies_get_400_and_are_recorded(app, client, body, content_type, message):
    response = client.post("/callback", data=body, content_type=content_type)
    assert response.status_code == 400
    assert message in response.json["error"]
    assert [record.outcome for record in records(app)] == ["malformed"]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("90.00", "integer"),
        (90.5, "integer"),
        (True, "integer"),
        (-1, "out of range"),
        ("-5", "integer"),
        ("٣", "integer"),
        (2**63, "out of range"),
    ],
)
def test_non_integer_amounts_are_malformed(app, client, order, amount, message):
    fields = {**callback_for(app, order), "amount": amount}
    response = client.post("/callback", json=fields)
    assert response.status_code == 400
    assert message in response.json["error"]
    assert reload(app, order).status == "pending"


def test_non_string_status_is_malformed(app, client, order):
    response = client.post("/callback", json={**callback_for(app, order), "status": 1})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "tamper",
    [
        lambda fields: fields.pop("signature"),
        lambda fields: fields.update(signature=""),
        lambda fields: fields.update(signature="0" * 64),
        lambda fields: fields.update(amount=fields["amount"] + 1),
        lambda fields: fields.update(status="fail"),
        lambda fields: fields.update(extra="added after signing"),
    ],
    ids=["missing", "empty", "wrong", "amount-changed", "status-changed", "field-added"],
)
def test_bad_or_missing_signature_gets_403_and_changes_nothing(
    app, client, order, tamper, paid_signals
):
    fields = callback_for(app, order)
    tamper(fields)
    response = client.post("/callback", json=fields)
    assert response.status_code == 403
    assert reload(app, order).status == "pending"
    assert paid_signals == []
    assert [record.outcome for record in records(app)] == ["bad_signature"]


def test_signature_from_another_secret_is_refused(app, client, order):
    from checkout import signing

    fields = callback_for(app, order)
    fields = signing.signed(fields, "not-our-secret")
    assert client.post("/callback", json=fields).status_code == 403


def test_unknown_request_id_gets_404(app, client, order):
    fields = callback_for(app, order, request_id="no-such-order")
    response = client.post("/callback", json=fields)
    assert response.status_code == 404
    assert [record.outcome for record in records(app)] == ["unknown_order"]


def test_oversized_body_gets_413_and_is_recorded(tmp_path):
    from tests.conftest import close_app, make_app

    app = make_app(f"sqlite:///{tmp_path / 'big.sqlite3'}", CALLBACK_MAX_BYTES=100)
    try:
        body = json.dumps({"request_id": "x", "padding": "y" * 500})
        response = app.test_client().post("/callback", data=body, content_type="application/json")
        assert response.status_code == 413
        (record,) = records(app)
        assert record.outcome == "too_large"
        assert record.body_truncated
        assert record.body == body[:100]
    finally:
        close_app(app)


def test_body_over_the_request_limit_is_still_recorded(tmp_path):
    from tests.conftest import close_app, make_app

    app = make_app(f"sqlite:///{tmp_path / 'huge.sqlite3'}", MAX_CONTENT_LENGTH=1000)
    try:
        response = app.test_client().post(
            "/callback", data="x" * 5000, content_type="application/json"
        )
        assert response.status_code == 413
        assert [record.outcome for record in records(app)] == ["too_large"]
    finally:
        close_app(app)


def test_duplicate_success_is_acknowledged_and_applied_once(app, client, order, paid_signals):
    fields = callback_for(app, order)
    first = client.post("/callback", json=fields)
    second = client.post("/callback", json=fields)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json["outcome"] == "duplicate"
    assert paid_signals == [order.request_id]
    with app.app_context():
        changes = db.session.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.to_status == "paid")
        )
    assert changes == 1


def test_a_receiver_that_raises_is_logged_and_the_answer_stays_200(
    app, client, order, paid_signals, caplog
):
    calls: list[str] = []

    def broken(sender, order):
        calls.append(order.request_id)
        raise RuntimeError("fulfilment service down")

    order_paid.connect(broken, sender=app)
    try:
        first = client.post("/callback", json=callback_for(app, order))
        again = client.post("/callback", json=callback_for(app, order))
    finally:
        order_paid.disconnect(broken, sender=app)
    assert (first.status_code, first.json["outcome"]) == (200, "accepted")
    assert reload(app, order).status == "paid"
    assert paid_signals == [order.request_id]  # the other receiver ran all the same
    [failure] = logged(caplog, "signal_receiver_failed")
    assert (failure["signal"], failure["request_id"]) == ("order-paid", order.request_id)
    assert "fulfilment service down" in caplog.text  # with its traceback
    # At most once, as the README says: the retry is a duplicate that calls nobody again.
    assert (again.status_code, again.json["outcome"]) == (200, "duplicate")
    assert calls == [order.request_id]
    assert [record.outcome for record in records(app)] == ["accepted", "duplicate"]


def test_fail_after_paid_is_recorded_flagged_and_not_applied(app, client, order):
    client.post("/callback", json=callback_for(app, order))
    response = client.post("/callback", json=callback_for(app, order, status="declined"))
    assert response.status_code == 200
    assert response.json["outcome"] == "ignored_after_paid"
    stored = reload(app, order)
    assert stored.status == "paid"
    assert "after paid" in stored.review_reason


@pytest.mark.parametrize("earlier", ["failed", "expired"])
def test_late_success_after_failed_or_expired_marks_paid(app, client, earlier, paid_signals):
    with app.app_context():
        order = make_order(status=earlier)
    response = client.post("/callback", json=callback_for(app, order))
    assert response.json["outcome"] == "accepted"
    assert reload(app, order).status == "paid"
    assert paid_signals == [order.request_id]


@pytest.mark.parametrize(
    "override", [{"amount": 8999}, {"amount": 90}, {"currency": "RUB"}], ids=str
)
def test_amount_or_currency_mismatch_flags_and_never_pays(
    app, client, order, override, paid_signals
):
    response = client.post("/callback", json=callback_for(app, order, **override))
    assert response.status_code == 200
    assert response.json["outcome"] == "amount_mismatch"
    stored = reload(app, order)
    assert stored.status == "pending"
    assert stored.review_reason
    assert paid_signals == []


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("success", "paid"),
        ("COMPLETED", "paid"),
        ("approved", "paid"),
        ("fail", "failed"),
        ("cancelled", "failed"),
        ("rejected", "failed"),
        ("expired", "expired"),
    ],
)
def test_status_words_map_to_states(app, client, order, word, state):
    response = client.post("/callback", json=callback_for(app, order, status=word))
    assert response.status_code == 200
    assert reload(app, order).status == state


def test_pending_report_moves_created_order_to_pending(app, client):
    with app.app_context():
        order = make_order(status="created")
    client.post("/callback", json=callback_for(app, order, status="processing"))
    assert reload(app, order).status == "pending"


def test_unknown_status_word_is_recorded_and_changes_nothing(app, client, order):
    response = client.post("/callback", json=callback_for(app, order, status="on_hold"))
    assert response.status_code == 200
    assert response.json["outcome"] == "unknown_status"
    assert reload(app, order).status == "pending"
    assert records(app)[0].gateway_status == "on_hold"


@pytest.mark.parametrize("app_overrides", [{"CALLBACK_STATUS_MAP": {"ok": "paid"}}])
def test_status_map_comes_from_configuration(app, client, order):
    assert client.post("/callback", json=callback_for(app, order, status="ok")).status_code == 200
    assert reload(app, order).status == "paid"
    response = client.post("/callback", json=callback_for(app, order, status="success"))
    assert response.json["outcome"] == "unknown_status"


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_callback_needs_no_csrf_token(app, client, order):
    assert client.post("/callback", json=callback_for(app, order)).status_code == 200


def test_extra_fields_and_objects_are_covered_by_the_signature(app, client, order):
    fields = callback_for(app, order, details={"card": "4111…1111", "bank": "Сбер"})
    assert client.post("/callback", json=fields).status_code == 200
    assert reload(app, order).status == "paid"


def test_callback_route_accepts_only_post(client):
    response = client.get("/callback")
    assert response.status_code == 405
    assert response.is_json


def test_a_failure_inside_processing_keeps_the_record_and_changes_nothing(
    app, client, order, monkeypatch
):
    """Fault injection: the state change blows up half-way, after writing its UPDATE."""
    from checkout import callbacks, orders

    def explode(order_, *args, **kwargs):
        orders.compare_and_set(
            order_, orders.OrderStatus.PAID, expected=order_.order_status, kind="x"
        )
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(callbacks, "apply_gateway_status", explode)
    response = client.post("/callback", json=callback_for(app, order))
    assert response.status_code == 500
    assert "disk on fire" not in response.get_data(as_text=True)
    (record,) = records(app)
    assert record.outcome == "error"
    assert record.detail == "processing failed: RuntimeError"
    assert json.loads(record.body)["request_id"] == order.request_id
    assert reload(app, order).status == "pending"

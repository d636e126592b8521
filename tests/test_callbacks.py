"""POST /callback: stored first, verified, answered as docs/callbacks.md says, applied once."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from sqlalchemy import event, func, select

from checkout.extensions import db
from checkout.models import CallbackRecord, Order, OrderEvent
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.orders import make_order
from tests.support.webhooks import outbox, payload, webhook_settings


@pytest.fixture
def app_overrides() -> dict:
    """Webhooks on, so that each test sees what the merchant would be told."""
    return webhook_settings()


@pytest.fixture
def order(app):
    with app.app_context():
        return make_order()


@pytest.fixture
def paid_webhooks(app):
    """Return a function listing the orders for which an order.paid event was written."""

    def paid() -> list[str]:
        events = outbox(app)
        return [
            payload(event)["data"]["request_id"] for event in events if event.type == "order.paid"
        ]

    return paid


def reload(app, order: Order) -> Order:
    with app.app_context():
        return db.session.scalar(select(Order).where(Order.id == order.id))


def records(app) -> list[CallbackRecord]:
    with app.app_context():
        return list(db.session.scalars(select(CallbackRecord).order_by(CallbackRecord.id)))


def test_signed_json_callback_marks_order_paid(app, client, order, paid_webhooks):
    response = client.post("/callback", json=callback_for(app, order))
    assert response.status_code == 200
    assert response.json == {"status": "ok", "outcome": "accepted"}
    assert reload(app, order).status == "paid"
    assert reload(app, order).paid_at is not None
    assert paid_webhooks() == [order.request_id]


def test_signed_form_encoded_callback_marks_order_paid(app, client, order):
    body = urlencode(callback_for(app, order))
    response = client.post("/callback", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert reload(app, order).status == "paid"


def test_md5_scheme_verifies_callbacks(tmp_path):
    from tests.support.apps import close_app, make_app

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
    app, client, order, tamper, paid_webhooks
):
    fields = callback_for(app, order)
    tamper(fields)
    response = client.post("/callback", json=fields)
    assert response.status_code == 403
    assert reload(app, order).status == "pending"
    assert paid_webhooks() == []
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
    from tests.support.apps import close_app, make_app

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
    from tests.support.apps import close_app, make_app

    app = make_app(f"sqlite:///{tmp_path / 'huge.sqlite3'}", CALLBACK_MAX_BYTES=100)
    body = '{"request_id": "' + "x" * (2 * 1024 * 1024) + '"}'  # over MAX_CONTENT_LENGTH too
    try:
        response = app.test_client().post("/callback", data=body, content_type="application/json")
        assert response.status_code == 413
        (record,) = records(app)
        assert record.outcome == "too_large"
        assert record.body_truncated
        assert record.body == body[:100], "what fits is stored"
    finally:
        close_app(app)


def test_duplicate_success_is_acknowledged_and_applied_once(app, client, order, paid_webhooks):
    fields = callback_for(app, order)
    first = client.post("/callback", json=fields)
    second = client.post("/callback", json=fields)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json["outcome"] == "duplicate"
    assert paid_webhooks() == [order.request_id]
    with app.app_context():
        changes = db.session.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.to_status == "paid")
        )
    assert changes == 1


def test_fail_after_paid_is_recorded_flagged_and_not_applied(app, client, order):
    client.post("/callback", json=callback_for(app, order))
    response = client.post("/callback", json=callback_for(app, order, status="declined"))
    assert response.status_code == 200
    assert response.json["outcome"] == "ignored_after_paid"
    stored = reload(app, order)
    assert stored.status == "paid"
    assert "after paid" in stored.review_reason


@pytest.mark.parametrize("word", ["processing", "pending", "in_progress", "created"])
def test_late_harmless_status_after_paid_is_recorded_but_not_flagged(app, client, order, word):
    client.post("/callback", json=callback_for(app, order))
    response = client.post("/callback", json=callback_for(app, order, status=word))
    assert response.status_code == 200
    assert response.json["outcome"] == "ignored_final"
    stored = reload(app, order)
    assert (stored.status, stored.review_reason) == ("paid", None)


@pytest.mark.parametrize("word", ["fail", "expired"])
def test_reported_failure_after_paid_flags_the_order(app, client, order, word):
    client.post("/callback", json=callback_for(app, order))
    response = client.post("/callback", json=callback_for(app, order, status=word))
    assert response.json["outcome"] == "ignored_after_paid"
    assert "after paid" in reload(app, order).review_reason


@pytest.mark.parametrize("earlier", ["failed", "expired"])
def test_late_success_after_failed_or_expired_marks_paid(app, client, earlier, paid_webhooks):
    with app.app_context():
        order = make_order(status=earlier)
    response = client.post("/callback", json=callback_for(app, order))
    assert response.json["outcome"] == "accepted"
    assert reload(app, order).status == "paid"
    assert paid_webhooks() == [order.request_id]


@pytest.mark.parametrize(
    "override", [{"amount": 8999}, {"amount": 90}, {"currency": "RUB"}], ids=str
)
def test_amount_or_currency_mismatch_flags_and_never_pays(
    app, client, order, override, paid_webhooks
):
    response = client.post("/callback", json=callback_for(app, order, **override))
    assert response.status_code == 200
    assert response.json["outcome"] == "amount_mismatch"
    stored = reload(app, order)
    assert stored.status == "pending"
    assert stored.review_reason
    assert paid_webhooks() == []


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


def hand_signed_body(app, order: Order, extra_json: str, extra_canonical: str) -> str:
    """Return a JSON callback body whose signature is computed over a string written out
    by hand, as a sender in another language would build it (no code of ours involved)."""
    import hashlib
    import hmac

    canonical = (
        f"amount={order.amount}&currency={order.currency}{extra_canonical}"
        f"&request_id={order.request_id}&status=success"
    )
    digest = hmac.new(
        app.config["GATEWAY_SECRET"].encode(), canonical.encode(), hashlib.sha256
    ).hexdigest()
    return (
        f'{{"request_id": "{order.request_id}", "status": "success", '
        f'"amount": {order.amount}, "currency": "{order.currency}", {extra_json}, '
        f'"signature": "{digest}"}}'
    )


@pytest.mark.parametrize(
    ("extra_json", "extra_canonical"),
    [
        ('"note": null', ""),
        ('"note": ""', ""),
        ('"note": true', "&note=true"),
        ('"note": false', "&note=false"),
        ('"note": 1.50', "&note=1.5"),
        ('"note": 2.0', "&note=2"),
        ('"note": 1E21', "&note=1e+21"),
        ('"note": -7', "&note=-7"),
        ('"note": 123456789012345678901234567890', "&note=123456789012345678901234567890"),
        ('"note": ["a", 1, null, true, 0.5]', '&note=["a",1,null,true,0.5]'),
        ('"note": {"z": null, "a": {"b": []}}', '&note={"a":{"b":[]},"z":null}'),
        ('"note": "Tom & Jerry = ok"', "&note=Tom & Jerry = ok"),
    ],
    ids=[
        "null",
        "empty",
        "true",
        "false",
        "float",
        "whole float",
        "exponent",
        "negative",
        "huge integer",
        "array",
        "nested object",
        "separators in text",
    ],
)
def test_signed_callback_with_an_extra_field_of_any_json_type_is_accepted(
    app, client, order, extra_json, extra_canonical
):
    body = hand_signed_body(app, order, extra_json, extra_canonical)
    response = client.post("/callback", data=body, content_type="application/json")
    assert response.status_code == 200, response.json
    assert response.json["outcome"] == "accepted"
    assert reload(app, order).status == "paid"


@pytest.mark.parametrize(
    "extra_json",
    ['"note": NaN', '"note": 1e999', '"note": [9007199254740993]', '"note": "\\ud800"'],
    ids=["NaN", "infinite", "unsafe integer in array", "lone surrogate"],
)
def test_extra_fields_json_cannot_sign_exactly_are_malformed(app, client, order, extra_json):
    body = hand_signed_body(app, order, extra_json, "&note=?")
    response = client.post("/callback", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "cannot be signed" in response.json["error"]
    assert [record.outcome for record in records(app)] == ["malformed"]
    assert reload(app, order).status == "pending"


@pytest.mark.parametrize(
    "body",
    [
        '{"request_id": "x", "note": ' + "[" * 20_000 + "]" * 20_000 + "}",
        '{"note": ' + '{"a":' * 10_000 + "1" + "}" * 10_000 + "}",
        '{"note": ' + "[" * 32 + "]" * 32 + "}",
    ],
    ids=["20,000 arrays", "10,000 objects", "33 levels"],
)
def test_deeply_nested_bodies_are_malformed_and_recorded(app, client, body):
    assert len(body) < 64 * 1024
    response = client.post("/callback", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested more than 32 levels" in response.json["error"]
    (record,) = records(app)
    assert (record.outcome, record.body) == ("malformed", body)


def test_nesting_up_to_the_limit_is_signed_and_accepted(app, client, order):
    deep = {"a": 1}
    for _ in range(30):  # with the body itself and `deep`'s own level: 32
        deep = {"a": deep}
    response = client.post("/callback", json=callback_for(app, order, note=deep))
    assert response.status_code == 200
    assert reload(app, order).status == "paid"


@pytest.mark.parametrize("app_overrides", [{"CALLBACK_ALLOWED_NETWORKS": ["203.0.113.0/24"]}])
def test_callbacks_from_outside_the_allow_list_are_refused_and_recorded(app, client):
    with app.app_context():
        order = make_order()
    body = callback_for(app, order)
    outside = client.post("/callback", json=body, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert outside.status_code == 403
    inside = client.post("/callback", json=body, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert inside.status_code == 200
    with app.app_context():
        outcomes = [record.outcome for record in db.session.query(CallbackRecord).all()]
    assert outcomes == ["forbidden_source", "accepted"]


def test_a_callback_is_one_transaction_on_one_connection_and_one_commit(database_url):
    """Store-first and apply-once hold because every statement of a callback (its record,
    the order's compare-and-set, the timeline line, the outbox event, the outcome) runs in
    one transaction: a statement sent on another connection would commit on its own."""
    app = make_app(database_url, **webhook_settings())
    statements: list[tuple[int, str]] = []
    commits: list[int] = []

    def statement(conn, _cursor, sql: str, *_args) -> None:
        statements.append((id(conn.connection.dbapi_connection), sql.split(None, 1)[0].upper()))

    def commit(conn) -> None:
        commits.append(id(conn.connection.dbapi_connection))

    try:
        with app.app_context():
            order = make_order()
            engine = db.engine
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "commit", commit)
        try:
            answer = app.test_client().post("/callback", json=callback_for(app, order))
        finally:
            event.remove(engine, "before_cursor_execute", statement)
            event.remove(engine, "commit", commit)
    finally:
        close_app(app)
    assert answer.json["outcome"] == "accepted"
    assert [kind for _, kind in statements] == [
        "INSERT",  # the record, as received
        "SELECT",  # the order
        "UPDATE",  # the order's compare-and-set
        "INSERT",  # its timeline line
        "INSERT",  # the merchant's order.paid event
        "UPDATE",  # the record's outcome
    ]
    assert {connection for connection, _ in statements} == set(commits)
    assert len(commits) == 1

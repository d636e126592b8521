"""Replaying a stored callback: a new record naming the original, verified and applied like
a live one, so that a state change still happens once; what cannot be replayed is refused
with an outcome, never an exception."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import func, select

from checkout import callback_replay, callbacks
from checkout.extensions import db
from checkout.models import CallbackOutcome, CallbackRecord, Order, OrderEvent
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.orders import make_order

HEADERS = {"User-Agent": "gateway/1.0", "X-Request-Id": "abc"}


@pytest.fixture
def engine_app(database_url):
    app = make_app(database_url)
    yield app
    close_app(app)


def stored(app: Flask, order: Order, **fields) -> int:
    """Store a callback about `order` as it arrived, without processing it (as when the
    process died before); return its id."""
    with app.app_context():
        record = CallbackRecord(
            source_ip="203.0.113.9",
            content_type="application/json",
            headers=dict(HEADERS),
            body=json.dumps(callback_for(app, order)),
            body_truncated=False,
            **fields,
        )
        callbacks.keep(record)
        db.session.commit()
        return record.id


def replay(app: Flask, callback_id: int) -> callback_replay.Replay:
    with app.app_context():
        return callback_replay.replay(callback_id)


def test_a_stored_callback_replayed_twice_is_applied_once(engine_app):
    with engine_app.app_context():
        order = make_order()
    original = stored(engine_app, order)
    first, second = replay(engine_app, original), replay(engine_app, original)
    assert (first.outcome, second.outcome) == (CallbackOutcome.ACCEPTED, CallbackOutcome.DUPLICATE)
    with engine_app.app_context():
        assert db.session.get(Order, order.id).status == "paid"
        to_paid = select(func.count()).where(
            OrderEvent.order_id == order.id, OrderEvent.to_status == "paid"
        )
        assert db.session.scalar(to_paid) == 1
        outcomes = db.session.scalars(select(CallbackRecord.outcome).order_by(CallbackRecord.id))
        assert list(outcomes) == ["received", "accepted", "duplicate"]


def test_a_replay_is_a_copy_that_names_its_original(app):
    with app.app_context():
        order = make_order()
    original_id = stored(app, order)
    copy = replay(app, original_id).record
    with app.app_context():
        original = db.session.get(CallbackRecord, original_id)
        assert copy.id != original.id
        assert (copy.body, copy.content_type, copy.source_ip, copy.body_truncated) == (
            original.body,
            original.content_type,
            original.source_ip,
            original.body_truncated,
        )
        assert copy.headers == {**HEADERS, "X-Replay-Of": str(original.id)}
        assert callback_replay.replay_of(copy) == str(original.id)
        assert callback_replay.replay_of(original) is None
        assert copy.http_request_id is None  # no request made it: the operator's CLI did


@pytest.mark.parametrize(
    ("fields", "outcome", "message"),
    [
        ({"body_truncated": True}, CallbackOutcome.TOO_LARGE, "callback body is too large"),
        ({"body": "{}"}, CallbackOutcome.MALFORMED, "missing field"),
        ({"body": "[[[[" * 40}, CallbackOutcome.MALFORMED, "body is not valid JSON"),
    ],
)
def test_what_cannot_be_applied_is_refused_with_its_outcome(app, fields, outcome, message):
    with app.app_context():
        order = make_order()
        record = db.session.get(CallbackRecord, stored(app, order))
        for name, value in fields.items():
            setattr(record, name, value)
        db.session.commit()
        original = record.id
    refused = replay(app, original)
    assert refused.outcome == outcome
    assert message in refused.message
    with app.app_context():
        assert db.session.get(Order, order.id).status == "pending"
        assert db.session.get(CallbackRecord, refused.record.id).outcome == outcome


def test_an_unknown_callback_cannot_be_replayed_and_nothing_is_stored(app):
    with pytest.raises(callback_replay.CallbackNotFound), app.app_context():
        callback_replay.replay(404)
    with app.app_context():
        assert db.session.scalar(select(func.count(CallbackRecord.id))) == 0


def test_a_failure_while_replaying_is_an_error_outcome_not_an_exception(app, monkeypatch):
    """Fault injection: applying the state change blows up."""

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(callbacks, "apply_gateway_status", explode)
    with app.app_context():
        order = make_order()
    failed = replay(app, stored(app, order))
    assert (failed.outcome, failed.message) == (
        CallbackOutcome.ERROR,
        "processing failed: RuntimeError",
    )
    with app.app_context():
        assert db.session.get(CallbackRecord, failed.record.id).outcome == "error"
        assert db.session.get(Order, order.id).status == "pending"

"""The shop's receiver under any headers and body a sender can send: stored, refused with
400, never a 500, and nothing credited — on both engines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from checkout.demo_shop import deposits
from checkout.demo_shop.models import HandledEvent, ReceivedWebhook
from checkout.extensions import db
from tests.demo_shop.helpers import make_shop_app
from tests.support.apps import close_app
from tests.support.services import required_postgres_url

RECEIVER = "/demo-shop/webhooks"

# Slow: hypothesis, on both engines.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_app(request, tmp_path_factory) -> Iterator[Flask]:
    """One app per engine for the whole module, with an open deposit no fuzz may credit."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}"
    else:
        url = required_postgres_url()
    app = make_shop_app(url, WEBHOOK_IN_PROCESS=False)
    with app.app_context():
        made = deposits.start("demo-user", 9000, "KZT", "k" * 32)
        deposits.opened(made, "chk_1", "http://127.0.0.1/c/chk_1")
    yield app
    close_app(app)


# What a header value can carry on the wire: latin-1, without the line breaks that would end it.
HEADER_VALUE = st.characters(codec="latin-1", exclude_characters="\r\n")


@given(
    body=st.binary(max_size=200),
    webhook_id=st.text(HEADER_VALUE, max_size=80),
    timestamp=st.text(HEADER_VALUE, max_size=30),
    signature=st.text(HEADER_VALUE, max_size=80),
)
def test_nothing_a_sender_sends_is_a_500(fuzz_app, body, webhook_id, timestamp, signature):
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }
    answer = fuzz_app.test_client().post(RECEIVER, data=body, headers=headers)
    assert answer.status_code == 400
    with fuzz_app.app_context():
        last = db.session.scalars(
            select(ReceivedWebhook).order_by(ReceivedWebhook.id.desc())
        ).first()
        assert last.outcome == "bad_signature"
        assert db.session.scalar(select(func.count()).select_from(HandledEvent)) == 0
        assert deposits.balances("demo-user") == []

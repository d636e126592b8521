"""Sentry gets unexpected errors, and never a body, a signature, a secret or a cookie."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sentry_sdk
from flask import Flask
from sqlalchemy import text

from checkout.extensions import db
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.fake_sentry import FakeSentry, fake_sentry
from tests.support.orders import make_order

SESSION_COOKIE = "session-cookie-value-" + "c" * 20
BEARER = "bearer-credential-" + "b" * 20


@pytest.fixture
def reporting(sqlite_url) -> Iterator[tuple[Flask, FakeSentry]]:
    """An app reporting to a fake Sentry; the SDK is shut down afterwards."""
    with fake_sentry() as sentry:
        app = make_app(
            sqlite_url,
            SENTRY_DSN=sentry.dsn,
            ADMIN_USERNAME="merchant",
            ADMIN_PASSWORD="admin-password-x",
        )
        try:
            yield app, sentry
        finally:
            sentry_sdk.get_client().close(timeout=2)
            sentry_sdk.get_global_scope().set_client(None)
            close_app(app)


def test_a_failing_callback_is_reported_scrubbed(reporting):
    app, sentry = reporting
    with app.app_context():
        order = make_order()
        db.session.execute(text("DROP TABLE callbacks"))  # the callback's INSERT will fail
        db.session.commit()
    body = callback_for(app, order)
    client = app.test_client()
    client.set_cookie("session", SESSION_COOKIE)
    response = client.post(
        "/callback?signature=" + body["signature"],
        json=body,
        headers={"Authorization": f"Bearer {BEARER}", "X-Signature": body["signature"]},
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)

    [event] = sentry.events()
    exception = event["exception"]["values"][-1]  # the one raised, after its causes
    assert exception["type"] == "OperationalError"
    assert "no such table: callbacks" in exception["value"]
    assert exception["stacktrace"]["frames"]  # the traceback, for us
    assert event["request"]["url"].endswith("/callback")
    assert "data" not in event["request"] and "cookies" not in event["request"]
    headers = {name.lower() for name in event["request"]["headers"]}
    assert not headers & {"authorization", "cookie", "x-signature"}
    raw = b"".join(sentry.envelopes).decode()
    for leaked in (
        body["signature"],
        body["invoice_id"],  # only in the body
        app.config["GATEWAY_SECRET"],
        app.config["SECRET_KEY"],
        "admin-password-x",
        SESSION_COOKIE,
        BEARER,
    ):
        assert leaked not in raw, leaked


def test_nothing_is_sent_without_a_dsn(sqlite_url):
    with fake_sentry() as sentry:
        app = make_app(sqlite_url, SENTRY_DSN=None)
        try:
            with app.app_context():
                db.session.execute(text("DROP TABLE orders"))
                db.session.commit()
            assert app.test_client().get("/orders/x/status").status_code == 500
            sentry_sdk.flush(timeout=1)
        finally:
            close_app(app)
    assert sentry.envelopes == []

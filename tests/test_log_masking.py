"""Secrets and signatures never reach the log output: not in messages, not in tracebacks."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import text

from checkout.extensions import db
from checkout.logs import SecretMaskingFilter
from tests.callback_helpers import callback_for
from tests.conftest import close_app, make_app, make_order
from tests.test_database_restart import drop_other_connections


@contextmanager
def log_output() -> Iterator[io.StringIO]:
    """Capture what the app's own log handler writes, exactly as it would reach stderr."""
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "checkout_handler", False)]
    output = io.StringIO()
    previous = handler.setStream(output)
    yield output
    handler.setStream(previous)


def assert_nothing_secret(app: Flask, output: str, body: dict) -> None:
    assert "Traceback" in output  # the failure was logged, with its exception text
    assert body["signature"] not in output
    assert body["invoice_id"] not in output  # no statement parameter at all
    assert app.config["GATEWAY_SECRET"] not in output


def test_a_failed_insert_logs_no_body_or_signature(database_url):
    app = make_app(database_url)
    try:
        with app.app_context():
            order = make_order()
            db.session.execute(text("DROP TABLE callbacks"))
            db.session.commit()
        body = callback_for(app, order)
        with log_output() as output:
            assert app.test_client().post("/callback", json=body).status_code == 500
        assert_nothing_secret(app, output.getvalue(), body)
        assert "[SQL parameters hidden due to hide_parameters=True]" in output.getvalue()
    finally:
        close_app(app)


def test_killed_database_connections_log_no_body_or_signature(pg_app):
    app, url = pg_app
    assert app.test_client().get("/orders/x/status").status_code == 404  # a pooled connection
    with app.app_context():
        order = make_order()
    body = callback_for(app, order)
    assert drop_other_connections(url) >= 1
    with log_output() as output:
        assert app.test_client().post("/callback", json=body).status_code == 500
    assert_nothing_secret(app, output.getvalue(), body)


def record_with_exception(message: str, error_text: str) -> logging.LogRecord:
    try:
        raise RuntimeError(error_text)
    except RuntimeError:
        return logging.LogRecord("x", logging.ERROR, __file__, 1, message, None, sys.exc_info())


@pytest.mark.parametrize(
    "error_text",
    [
        "[parameters: {'body': '{\"signature\": \"" + "ab" * 32 + "\"}'}]",
        'headers={"x": "{\\"signature\\": \\"' + "cd" * 32 + '\\"}"}',
        "signature=" + "ef" * 16,
        "the secret is s3",
    ],
)
def test_exception_text_is_masked_like_the_message(error_text):
    record = record_with_exception(f"failed: {error_text}", error_text)
    SecretMaskingFilter(["s3"]).filter(record)
    for masked in (record.getMessage(), logging.Formatter().format(record)):
        assert "***" in masked
        assert "ab" * 16 not in masked and "cd" * 16 not in masked and "ef" * 16 not in masked
        assert "s3" not in masked


def test_short_secrets_are_masked_too():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "key=%s pw=%s", ("xy", "admin"), None
    )
    SecretMaskingFilter(["xy", "admin"]).filter(record)
    assert record.getMessage() == "key=*** pw=***"

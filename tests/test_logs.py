"""The logs: structured lines, secrets and signatures masked (in messages and tracebacks),
and no field a sender can forge."""

from __future__ import annotations

import json
import logging
import sys

import pytest
import structlog
from flask import Flask
from sqlalchemy import text

from checkout import logs
from checkout.extensions import db
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.databases import drop_other_connections
from tests.support.logs import log_output, logged
from tests.support.orders import make_order


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


@pytest.mark.parametrize("log_format", ["console", "json"])
@pytest.mark.parametrize(
    "error_text",
    [
        "[parameters: {'body': '{\"signature\": \"" + "ab" * 32 + "\"}'}]",
        'headers={"x": "{\\"signature\\": \\"' + "cd" * 32 + '\\"}"}',
        "signature=" + "ef" * 16,
        "the secret is s3",
    ],
)
def test_exception_text_is_masked_like_the_message(error_text, log_format):
    handler = logs.configure(log_format, ["s3"])
    masked = handler.format(record_with_exception(f"failed: {error_text}", error_text))
    assert "***" in masked
    assert "Traceback" in masked and "RuntimeError" in masked
    assert "ab" * 16 not in masked and "cd" * 16 not in masked and "ef" * 16 not in masked
    assert "s3" not in masked


def test_short_secrets_are_masked_too():
    handler = logs.configure("console", ["xy", "admin"])
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "key=%s pw=%s", ("xy", "admin"), None
    )
    assert " key=*** pw=*** " in handler.format(record)


def test_values_of_our_own_lines_are_masked_however_deep(app):
    secret = app.config["GATEWAY_SECRET"]
    with log_output() as output:
        structlog.get_logger("checkout.test").warning(
            "probe",
            reason=f"gateway echoed {secret}",
            detail={"body": {"signature": "ab" * 32}, "items": [secret, 1]},
        )
    text = output.getvalue()
    assert "probe" in text and "gateway echoed ***" in text
    assert secret not in text and "ab" * 16 not in text


def test_production_lines_are_json_objects_with_the_request_id(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", LOG_FORMAT="json")
    try:
        with log_output() as output:
            response = app.test_client().get("/orders/nope/status")
        [line] = [json.loads(text) for text in output.getvalue().splitlines()]
        assert line["event"] == "request" and line["level"] == "info"
        assert line["status"] == 404 and line["route"] == "/orders/<request_id:request_id>/status"
        assert line["http_request_id"] == response.headers["X-Request-ID"]
        assert line["timestamp"].endswith("Z")
    finally:
        close_app(app)


def test_request_and_state_change_logs_are_structured_and_mask_secrets(app, client, caplog):
    caplog.set_level(logging.INFO)
    with app.app_context():
        order = make_order()
    body = callback_for(app, order)
    with log_output() as output:
        client.post("/callback", json=body)
        client.get(f"/orders/{order.request_id}/status")
    [change] = logged(caplog, "order_state")
    assert (change["request_id"], change["from_status"], change["to_status"]) == (
        order.request_id,
        "pending",
        "paid",
    )
    [status_request] = [
        line
        for line in logged(caplog, "request")
        if line["route"] == "/orders/<request_id:request_id>/status"
    ]
    assert status_request["request_id"] == order.request_id
    assert status_request["status"] == 200
    text = output.getvalue()
    assert f"request_id={order.request_id}" in text
    assert body["signature"] not in text
    assert app.config["GATEWAY_SECRET"] not in text


def test_masking_hides_secrets_and_signatures():
    handler = logs.configure("console", ["hunter22"])
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "secret=%s signature=%s", ("hunter22", "ab" * 32), None
    )
    assert " secret=*** signature=*** " in handler.format(record)


@pytest.mark.parametrize("log_format", ["console", "json"])
def test_sender_controlled_values_cannot_forge_log_fields(tmp_path, caplog, log_format):
    # Control characters are refused at the door (400, never logged); what is left to a
    # sender is spaces, quotes and `=`: one value, quoted, whatever the format.
    forged = 'ok" level=error event=order_flagged x="'
    app = make_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", LOG_FORMAT=log_format)
    try:
        with app.app_context():
            order = make_order()
        with log_output() as output:
            app.test_client().post("/callback", json=callback_for(app, order, status=forged))
    finally:
        close_app(app)
    [callback] = logged(caplog, "callback")
    assert callback["status"] == forged.lower()  # the value, whole, as a value
    lines = output.getvalue().splitlines()
    if log_format == "json":
        [fields] = [json.loads(text) for text in lines if '"event": "callback"' in text]
        assert (fields["level"], fields["status"]) == ("info", forged.lower())
    else:
        [line] = [text for text in lines if " [info     ] callback " in text]
        assert f"status={forged.lower()!r}" in line  # quoted: no field of its own

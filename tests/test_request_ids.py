"""One id per request: made by us, or taken from a trusted proxy when valid; echoed in the
response, bound to every log line of the request and stored on the callback it delivered."""

from __future__ import annotations

import re

import pytest
import structlog

from checkout.extensions import db
from checkout.models import CallbackRecord
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.fake_gateway import Reply, fake_gateway
from tests.support.logs import logged
from tests.support.orders import make_order
from tests.support.webhooks import deliver_due, outbox, webhook_settings

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_each_request_gets_a_new_id_and_a_client_cannot_choose_it(client):
    first = client.get("/healthz", headers={"X-Request-ID": "chosen-by-client"})
    second = client.get("/healthz")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(GENERATED.fullmatch(value) for value in ids)
    assert ids[0] != ids[1]


@pytest.mark.parametrize("app_overrides", [{"PROXY_FIX_HOPS": 1}])
@pytest.mark.parametrize(
    "forwarded", ["4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f", "b6f9c3d2-7e1a-4c58-9d2b-0a1f3e5c7b9d", "a"]
)
def test_a_trusted_proxys_id_is_kept(client, forwarded):
    response = client.get("/healthz", headers={"X-Request-ID": forwarded})
    assert response.headers["X-Request-ID"] == forwarded


@pytest.mark.parametrize("app_overrides", [{"PROXY_FIX_HOPS": 1}])
@pytest.mark.parametrize(
    "forwarded",
    ["", "a" * 65, "two words", "-starts-with-a-dash", "id;drop", "ïd", "a\tb", '"quoted"'],
)
def test_an_invalid_forwarded_id_is_replaced(client, forwarded):
    response = client.get("/healthz", headers={"X-Request-ID": forwarded})
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_the_id_is_on_every_line_of_the_request_and_on_its_callback(database_url, caplog):
    app = make_app(database_url)
    try:
        with app.app_context():
            order = make_order()
        response = app.test_client().post("/callback", json=callback_for(app, order))
        request_id = response.headers["X-Request-ID"]
        lines = [
            line
            for event in ("callback", "order_state", "request")
            for line in logged(caplog, event)
        ]
        assert len(lines) == 3
        assert {line["http_request_id"] for line in lines} == {request_id}
        with app.app_context():
            [record] = db.session.query(CallbackRecord).all()
        assert record.http_request_id == request_id
        # Unbound once the request is over: the next line of this thread carries none.
        structlog.get_logger("checkout.test").warning("after_the_request")
        [after] = logged(caplog, "after_the_request")
        assert "http_request_id" not in after
    finally:
        close_app(app)


def test_each_webhook_attempt_has_its_id_on_its_lines_and_its_record(sqlite_url, caplog):
    with fake_gateway(Reply(status=500, json={"error": "down"})) as receiver:
        app = make_app(sqlite_url, **webhook_settings(receiver.url, WEBHOOK_RETRY_DELAYS=[0]))
        try:
            with app.app_context():
                order = make_order()
            app.test_client().post("/callback", json=callback_for(app, order))
            deliver_due(app)  # a worker: no request, so an id per attempt
        finally:
            close_app(app)
    [event] = outbox(app)
    stored = [attempt.http_request_id for attempt in event.attempt_log]
    logged_ids = [line["http_request_id"] for line in logged(caplog, "webhook_attempt")]
    assert len(stored) == 2 and all(GENERATED.fullmatch(value) for value in stored)
    assert stored[0] != stored[1]
    assert logged_ids == stored

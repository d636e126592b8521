"""Headers on every response, the checkout rate limit, the callback allow-list, the logs."""

from __future__ import annotations

import json
import logging

import pytest

from checkout import logs
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.logs import log_output, logged
from tests.support.orders import make_order


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("POST", "/"),
        ("GET", "/healthz"),
        ("GET", "/pay/nope"),
        ("GET", "/orders/nope"),
        ("GET", "/orders/nope/status"),
        ("POST", "/callback"),
        ("GET", "/static/css/site.css"),
        ("GET", "/sandbox/api/jsapi/open/nope/"),
        ("DELETE", "/"),
    ],
)
def test_security_headers_on_every_response(client, method, path):
    response = client.open(path, method=method)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # development is plain HTTP
    response.close()


def test_frame_src_names_the_live_gateway_only(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'live.sqlite3'}", GATEWAY_BASE_URL="https://cactusgino.com"
    )
    try:
        csp = app.test_client().get("/").headers["Content-Security-Policy"]
        assert "frame-src https://cactusgino.com;" in csp
        assert "form-action 'self' https://cactusgino.com" in csp
    finally:
        close_app(app)


@pytest.mark.parametrize("gateway", [None, "https://cactusgino.com"])
def test_form_action_allows_every_host_a_gateway_redirect_may_name(tmp_path, gateway):
    app = make_app(
        f"sqlite:///{tmp_path / 'redirect.sqlite3'}",
        GATEWAY_BASE_URL=gateway,
        GATEWAY_ALLOWED_REDIRECT_HOSTS=["Pay.Cactusgino.com", "pay2.example:8443"],
    )
    try:
        csp = app.test_client().get("/").headers["Content-Security-Policy"]
        form_action = next(d for d in csp.split("; ") if d.startswith("form-action "))
        assert form_action.split()[1:] == [
            "'self'",
            *([gateway] if gateway else []),
            "pay.cactusgino.com",
            "pay2.example:8443",
        ]
    finally:
        close_app(app)


@pytest.mark.parametrize(
    "app_overrides", [{"RATELIMIT_ENABLED": True, "CHECKOUT_RATE_LIMIT": "3 per minute"}]
)
def test_checkout_submissions_are_rate_limited_per_client(client):
    def submit(ip: str):
        return client.post("/", data={"amount": "x"}, environ_base={"REMOTE_ADDR": ip})

    assert [submit("198.51.100.1").status_code for _ in range(3)] == [422, 422, 422]
    limited = submit("198.51.100.1")
    assert limited.status_code == 429
    assert "Too many attempts" in limited.get_data(as_text=True)
    assert "Retry-After" in limited.headers
    assert submit("198.51.100.2").status_code == 422  # another client is not affected
    assert client.get("/").status_code == 200  # the form itself stays available


@pytest.mark.parametrize("app_overrides", [{"CALLBACK_ALLOWED_NETWORKS": ["203.0.113.0/24"]}])
def test_callbacks_from_outside_the_allow_list_are_refused_and_recorded(app, client):
    from checkout.extensions import db
    from checkout.models import CallbackRecord

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

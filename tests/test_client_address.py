"""The client's address behind the proxy: gunicorn only on loopback by default, and a
forwarded address that is not one never opens the allow-list, never escapes a rate limit,
never forges a log field and never loses a callback."""

from __future__ import annotations

import json
import logging
import runpy
from pathlib import Path

import pytest

from checkout import client_address
from checkout.extensions import db
from checkout.models import CallbackRecord
from tests.support.admin import CREDENTIALS
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.logs import log_output, logged
from tests.support.orders import make_order

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
# Longer than the source_ip column, and not an address at all (ProxyFix takes the last
# comma-separated entry, so it has no comma).
LONG_FORWARDED = "198.51.100.7" + "x" * 80 + " level=error event=forged"


@pytest.mark.parametrize(
    ("env", "bind"),
    [
        ({}, "127.0.0.1:8000"),
        ({"PORT": "9000"}, "127.0.0.1:9000"),
        ({"GUNICORN_BIND": "10.0.0.5:8000"}, "10.0.0.5:8000"),
    ],
)
def test_gunicorn_listens_on_loopback_unless_told_otherwise(monkeypatch, tmp_path, env, bind):
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    # The file writes these back to the environment: keep them ours.
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert runpy.run_path(str(GUNICORN_CONF))["bind"] == bind


@pytest.mark.parametrize(
    ("told", "ip", "text"),
    [
        ("203.0.113.9", "203.0.113.9", "203.0.113.9"),
        ("2001:db8::1", "2001:db8::1", "2001:db8::1"),
        ("", None, "invalid:"),
        (None, None, "invalid:"),
        ("203.0.113.9 level=error", None, "invalid:203.0.113.9 level=error"),
        ("a\x00b\nc", None, "invalid:a?b?c"),
        ("x" * 200, None, "invalid:" + "x" * 56),
    ],
)
def test_only_an_ip_address_is_trusted_and_the_rest_is_marked_and_bounded(told, ip, text):
    address = client_address.parse(told)
    assert (str(address.ip) if address.ip else None, address.text) == (ip, text)
    assert len(address.text) <= client_address.MAX_TEXT


def test_a_callback_is_stored_and_applied_whatever_its_forwarded_address(database_url):
    app = make_app(database_url, PROXY_FIX_HOPS=1)
    try:
        with app.app_context():
            order = make_order()
        response = app.test_client().post(
            "/callback",
            json=callback_for(app, order),
            headers={"X-Forwarded-For": LONG_FORWARDED, "User-Agent": "u" * 2000},
        )
        assert response.status_code == 200
        with app.app_context():
            [record] = db.session.query(CallbackRecord).all()
            assert record.outcome == "accepted"
            assert record.source_ip == ("invalid:" + LONG_FORWARDED)[:64]
            assert record.headers["X-Forwarded-For"] == LONG_FORWARDED
    finally:
        close_app(app)


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json; charset=\x00utf-8"},
        {"User-Agent": "agent\x00" + "u" * 600},
        {"X-Request-Id": "\x00\x7f\u00e9"},
    ],
)
def test_a_callback_is_stored_and_applied_whatever_its_headers(database_url, headers):
    app = make_app(database_url)
    try:
        with app.app_context():
            order = make_order()
        body = json.dumps(callback_for(app, order))
        response = app.test_client().post("/callback", data=body, headers=headers)
        assert response.status_code == 200
        with app.app_context():
            [record] = db.session.query(CallbackRecord).all()
            assert record.outcome == "accepted"
            stored = {**record.headers, "Content-Type": record.content_type}
            for name, value in headers.items():
                assert stored[name] == value.replace("\x00", "\\x00")[:500]
    finally:
        close_app(app)


def test_a_malformed_forwarded_address_never_passes_the_allow_list(database_url):
    app = make_app(database_url, PROXY_FIX_HOPS=1, CALLBACK_ALLOWED_NETWORKS=["0.0.0.0/0"])
    try:
        with app.app_context():
            order = make_order()
        client = app.test_client()
        refused = client.post(
            "/callback", json=callback_for(app, order), headers={"X-Forwarded-For": "0.0.0.0/0"}
        )
        assert refused.status_code == 403
        accepted = client.post(
            "/callback", json=callback_for(app, order), headers={"X-Forwarded-For": "192.0.2.1"}
        )
        assert accepted.status_code == 200
    finally:
        close_app(app)


@pytest.mark.parametrize("app_overrides", [{"PROXY_FIX_HOPS": 1}])
def test_a_forwarded_address_cannot_add_fields_to_the_request_log(client, caplog):
    caplog.set_level(logging.INFO)
    forged = "203.0.113.9 level=error event=forged"
    with log_output() as output:
        client.get("/healthz", headers={"X-Forwarded-For": forged})
    [line] = logged(caplog, "request")
    assert line["ip"] == f"invalid:{forged}"
    assert f" ip='invalid:{forged}' " in output.getvalue()  # one quoted value


@pytest.mark.parametrize(
    "app_overrides",
    [
        {
            **CREDENTIALS,
            "PROXY_FIX_HOPS": 1,
            "RATELIMIT_ENABLED": True,
            "ADMIN_LOGIN_RATE_LIMIT": "2 per minute",
        }
    ],
)
def test_rotating_malformed_forwarded_addresses_share_one_sign_in_limit(client, caplog):
    caplog.set_level(logging.INFO)

    def guess(forwarded: str) -> int:
        return client.post(
            "/admin/login",
            data={"username": "merchant", "password": "nope"},
            headers={"X-Forwarded-For": forwarded},
        ).status_code

    assert [guess(f"not-an-ip-{n}") for n in range(3)] == [403, 403, 429]
    assert guess("198.51.100.20") == 403  # a real client elsewhere is not affected
    refused = logged(caplog, "admin_login_refused")
    assert refused[0]["ip"] == "invalid:not-an-ip-0"

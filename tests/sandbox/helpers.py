"""Helpers for the sandbox tests: a merchant's callback endpoint, obtain_token, a checkout.

Everything goes over real HTTP: the app on a live port, the merchant on its own port.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from flask import Flask

from checkout import signing
from tests.support.apps import make_app
from tests.support.checkout import checkout_data, iframe_src
from tests.support.fake_gateway import refused_url
from tests.support.live import LiveServer

HTTP_TIMEOUT = 10


def make_sandbox_app(database_url: str, **overrides: Any) -> Flask:
    """Create a test app whose gateway is the embedded sandbox, on an empty database."""
    return make_app(database_url, **{"GATEWAY_BASE_URL": None, **overrides})


@dataclass
class Merchant:
    """A merchant's callback endpoint: answers the scripted statuses in turn, then 200."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived_at: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, body: bytes) -> int:
        """Record one callback and return the status to answer it with."""
        with self.lock:
            self.received.append(json.loads(body))
            self.arrived_at.append(time.monotonic())
            return self.statuses.pop(0) if self.statuses else 200

    @property
    def callback_url(self) -> str:
        return self.url + "/callback"


@contextmanager
def merchant_server(statuses: list[int] | None = None) -> Iterator[Merchant]:
    """Serve a recording merchant endpoint on a free loopback port (http.server in a thread)."""
    merchant: Merchant

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = merchant.answer(body)
            payload = b'{"status": "ok"}' if status == 200 else b'{"error": "try later"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    merchant = Merchant(f"http://127.0.0.1:{server.server_port}", list(statuses or []))
    thread = threading.Thread(
        target=server.serve_forever, args=(0.01,), name="merchant", daemon=True
    )
    thread.start()
    try:
        yield merchant
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port_url() -> str:
    """Return a loopback callback URL nobody listens on (connection refused)."""
    return refused_url() + "/callback"


def token_body(app: Flask, base_url: str, **changes: Any) -> dict[str, Any]:
    """Return a signed obtain_token body; `changes` apply first (None drops a field).

    A value the signature cannot cover (a float, a boolean) is added after signing, as a
    careless client would send it.
    """
    request_id = changes.pop("request_id", None) or secrets.token_urlsafe(16)
    fields: dict[str, Any] = {
        "merchant_id": app.config["MERCHANT_ID"],
        "site_id": int(app.config["SITE_ID"]),
        "site_login": "alice",
        "request_id": request_id,
        "amount": 9000,
        "currency": "KZT",
        "language": "EN",
        "customer_type": "regular",
        "method": "card",
        "success_url": f"{base_url}/orders/{request_id}/success",
        "fail_url": f"{base_url}/orders/{request_id}/fail",
        **changes,
    }
    unsignable = {name: value for name, value in fields.items() if isinstance(value, bool | float)}
    signable = {
        name: value
        for name, value in fields.items()
        if value is not None and name not in unsignable
    }
    signed = signing.signed(
        signable, app.config["GATEWAY_SECRET"], app.config["GATEWAY_SIGNATURE_SCHEME"]
    )
    return {**signed, **unsignable}


def obtain_token(live: LiveServer, body: Any) -> requests.Response:
    """POST a JSON body to the sandbox's obtain_token over HTTP."""
    return requests.post(
        live.url + "/sandbox/api/jsapi/obtain_token/", json=body, timeout=HTTP_TIMEOUT
    )


def open_form(live: LiveServer, **changes: Any) -> tuple[str, dict[str, Any]]:
    """Ask the sandbox for a payment and return its hosted form's URL and the body sent."""
    body = token_body(live.app, live.url, **changes)
    answer = obtain_token(live, body)
    assert answer.status_code == 200, answer.text
    return f"{live.url}/sandbox/api/jsapi/open/{answer.json()['key']}/", body


def start_checkout(base_url: str, session: requests.Session, **fields: str) -> str:
    """Fill in and submit the checkout form as a customer would; return where it sent them."""
    form = session.get(base_url + "/", timeout=HTTP_TIMEOUT)
    answer = session.post(
        base_url + "/",
        data=checkout_data(form.text, **fields),
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["Location"]


def request_id_on(hosted_page: str) -> str:
    """Return the order id a hosted form shows (how a customer would read it off the page)."""
    return re.search(r'<dd class="gw-mono">([^<]+)</dd>', hosted_page).group(1)


def hosted_form_url(base_url: str, session: requests.Session, request_id: str) -> str:
    """Return the hosted form's URL that our payment page embeds."""
    page = session.get(f"{base_url}/pay/{request_id}", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, page.text
    return iframe_src(page.text)


def wait_for_status(base_url: str, request_id: str, expected: str, timeout: float = 10.0) -> str:
    """Poll the order's status until it is `expected` or `timeout` passes; return the last."""
    deadline = time.monotonic() + timeout
    while True:
        status = requests.get(
            f"{base_url}/orders/{request_id}/status", timeout=HTTP_TIMEOUT
        ).json()["status"]
        if status == expected or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def wait_for_deliveries(app: Flask, timeout: float = 10.0) -> None:
    """Wait until the sandbox's background callbacks are done (delivered or given up)."""
    assert app.extensions["sandbox"].deliveries.wait(timeout), "callbacks still being delivered"

"""The demo shop served for tests: a fresh app and shop tables, a customer who deposits and
pays over real HTTP, and the in-process webhook worker delivering to the shop's receiver."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import requests
from flask import Flask

from tests.support.apps import close_app, make_app
from tests.support.checkout import CSRF_FIELD, form_tokens, iframe_src
from tests.support.live import LiveServer, serve

HTTP_TIMEOUT = 10
FORM_KEY = re.compile(r'name="form_key" type="hidden" value="([^"]+)"')
# The embedded sandbox takes the payments; callbacks retried at once, webhooks polled and
# retried within the second.
FAST = {
    "GATEWAY_BASE_URL": None,
    "SANDBOX_CALLBACK_BACKOFF": 0.01,
    "SANDBOX_CALLBACK_TRIES": 3,
    "WEBHOOK_IN_PROCESS": True,
    "WEBHOOK_POLL_INTERVAL": 0.02,
    "WEBHOOK_RETRY_DELAYS": [0.2, 0.2, 0.2],
    "WEBHOOK_TIMEOUT": 5.0,
}


def make_shop_app(database_url: str, **overrides: Any) -> Flask:
    """Create a test app (make_app builds the shop's tables too, empty)."""
    return make_app(database_url, **{**FAST, **overrides})


def serve_shop(app: Flask) -> tuple[LiveServer, Callable[[], None]]:
    """Serve the app on a real port, its webhooks going to the shop's receiver there."""
    server, stop_server = serve(app)
    app.config["MERCHANT_WEBHOOK_URL"] = server.url + "/demo-shop/webhooks"

    def stop() -> None:
        worker = app.extensions.get("webhook_worker")
        if worker is not None:
            worker.stop()
        app.extensions["demo_shop"].shutdown()
        close_app(app)
        stop_server()

    return server, stop


def deposit_form(session: requests.Session, base_url: str) -> dict[str, str]:
    """Open the shop's account page and return the deposit form's hidden fields."""
    page = session.get(base_url + "/demo-shop/", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, page.text
    fields = {"form_key": FORM_KEY.search(page.text).group(1)}
    csrf = CSRF_FIELD.search(page.text)
    if csrf:  # development and production check it; the testing config does not
        fields["csrf_token"] = csrf.group(1)
    return fields


def post_deposit(
    session: requests.Session, base_url: str, fields: dict[str, str]
) -> requests.Response:
    return session.post(
        base_url + "/demo-shop/deposits", data=fields, allow_redirects=False, timeout=HTTP_TIMEOUT
    )


def deposit(
    session: requests.Session, base_url: str, amount: str = "90.00", currency: str = "KZT"
) -> str:
    """Deposit through the shop's form; return the checkout URL the shop sends the user to."""
    fields = {**deposit_form(session, base_url), "amount": amount, "currency": currency}
    answer = post_deposit(session, base_url, fields)
    assert answer.status_code == 303, answer.text
    return answer.headers["Location"]


def pay(
    session: requests.Session, checkout_url: str, decision: str = "pay", **form: str
) -> tuple[str, str]:
    """Pay a checkout as its customer: its page, the sandbox's form, Pay (or Decline).

    :return: the order's request_id and where the gateway sends the customer.
    """
    page = session.get(checkout_url, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, page.text
    fields = {"method": "card", "bank_app": "", "language": "EN", **form_tokens(page.text)}
    started = session.post(checkout_url, data=fields, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert started.status_code == 303, started.text
    pay_page = started.headers["Location"]
    request_id = pay_page.rsplit("/", 1)[1]
    base_url = checkout_url.split("/c/")[0]
    frame = session.get(base_url + pay_page, timeout=HTTP_TIMEOUT)
    form_url = iframe_src(frame.text)
    answer = session.post(
        form_url, data={"decision": decision, **form}, allow_redirects=False, timeout=HTTP_TIMEOUT
    )
    assert answer.status_code == 303, answer.text
    return request_id, answer.headers["Location"]

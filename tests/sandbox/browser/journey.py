"""Steps of the customer's journey as a browser takes them, and a gate that holds the
gateway's callback until a test lets it through."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

import requests
from playwright.sync_api import FrameLocator, Page
from werkzeug.serving import make_server

PAY = "button[name=decision][value=pay]"
DECLINE = "button[name=decision][value=decline]"


def fill_checkout(
    page: Page,
    *,
    amount: str = "90.00",
    currency: str = "KZT",
    method: str = "card",
    bank_app: str | None = None,
    language: str = "EN",
    site_login: str = "alice",
) -> None:
    """Fill the checkout form as a customer would, field by field."""
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Currency").select_option(currency)
    page.get_by_label("Payment method").select_option(method)
    if bank_app is not None:
        page.get_by_label("Bank app").select_option(bank_app)
    page.get_by_label("Payment page language").select_option(language)
    page.get_by_label("Your login").fill(site_login)


def start_payment(page: Page, site_url: str, **fields: Any) -> str:
    """Open the form, fill it, press the button and land on the payment page.

    :return: the order's request_id, read from the payment page's URL.
    """
    page.goto(site_url + "/")
    fill_checkout(page, **fields)
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(re.compile(re.escape(site_url) + r"/pay/[\w-]+$"))
    return page.url.rsplit("/", 1)[1]


def gateway_form(page: Page) -> FrameLocator:
    """Return the gateway's hosted form inside the payment page."""
    return page.frame_locator("iframe[title='Cactusgino payment form']")


def order_url(site_url: str, request_id: str) -> re.Pattern[str]:
    """Match the order's page, also in its success_url / fail_url spelling."""
    return re.compile(re.escape(f"{site_url}/orders/{request_id}") + r"(/success|/fail)?$")


def scroll_overflow(page: Page) -> int:
    """Return how many CSS pixels the page is wider than the window (0: no sideways scroll)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


class CallbackGate:
    """A relay between the sandbox and our /callback that holds callbacks until opened.

    Real HTTP both ways: the sandbox posts here (SANDBOX_CALLBACK_URL) and the relay
    forwards the untouched body to the site once the test opens the gate. This makes
    "the customer is back before the callback" happen every time, not by chance.
    """

    def __init__(self, target: str, hold_seconds: float = 15.0) -> None:
        self.target = target
        self.hold_seconds = hold_seconds
        self.opened = threading.Event()
        self.arrived = threading.Event()
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/callback"
        threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True).start()

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Hold a callback until the gate opens, then pass it on and relay the answer."""
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.arrived.set()
        self.opened.wait(self.hold_seconds)
        answer = requests.post(
            self.target,
            data=body,
            headers={"Content-Type": environ.get("CONTENT_TYPE", "")},
            timeout=10,
        )
        start_response(f"{answer.status_code} {answer.reason}", [("Content-Type", "text/plain")])
        return [answer.content]

    def open(self) -> None:
        """Let the held callbacks, and any later ones, through."""
        self.opened.set()

    def close(self) -> None:
        """Open the gate and stop the relay."""
        self.opened.set()
        self._server.shutdown()
        self._server.server_close()

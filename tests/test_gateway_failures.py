"""Every failure of the gateway call ends as a 502 on the form and a failed order, promptly.

Each class of hostile or broken answer comes from a real HTTP server on loopback, on
SQLite and PostgreSQL (which refuses NUL in text, so what we store must be clean).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
from requests.adapters import HTTPAdapter

from checkout.gateway import UNAVAILABLE
from tests.support.apps import close_app, make_app
from tests.support.checkout import alert, only_order, post_checkout
from tests.support.fake_gateway import Reply, fake_gateway
from tests.support.logs import logged

NESTED = b"[" * 20_000 + b"]" * 20_000
# Time-outs that are not positive seconds never reach a running app (start-up refuses them,
# tests/test_production_config.py); the client refuses them too (tests/test_gateway_client.py).


@dataclass(frozen=True)
class Case:
    """A gateway answer (built from the gateway's URL), the settings, the stored reason."""

    reply: Callable[[str], Reply]
    reason: str
    settings: dict


CASES = {
    "nested JSON": Case(lambda _url: Reply(body=NESTED), "gateway answer is not JSON", {}),
    "unparsable redirect": Case(
        lambda _url: Reply(json={"redirect_url": "http://[::1/pay"}),
        "gateway redirect_url is not a URL",
        {},
    ),
    "CR/LF in redirect on the gateway's host": Case(
        lambda url: Reply(json={"redirect_url": f"{url}/pay\r\nSet-Cookie: session=x"}),
        "gateway redirect_url is not a URL",
        {},
    ),
    "NUL in the key": Case(
        lambda _url: Reply(json={"key": "k\x00ey"}),
        "gateway key has characters that cannot be stored",
        {},
    ),
    "NUL in the gateway's message": Case(
        lambda _url: Reply(status=503, json={"error": "down\x00for maintenance"}),
        "gateway answered HTTP 503: down\\x00for maintenance",
        {},
    ),
    "answer trickled a byte at a time": Case(
        lambda _url: Reply(json={"key": "k" * 60}, trickle=0.05),
        "gateway timed out",
        {"GATEWAY_TIMEOUT": 0.5},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_gateway_failure_is_a_502_and_a_failed_order(database_url: str, case: Case) -> None:
    with fake_gateway() as gateway:
        gateway.answer(case.reply(gateway.url))
        app = make_app(database_url, GATEWAY_BASE_URL=gateway.url)
        # After the start-up checks, which refuse the unusable time-outs some cases need.
        app.config.update(case.settings)
        try:
            client = app.test_client()
            started = time.monotonic()
            response = post_checkout(client)
            assert time.monotonic() - started < 2
            assert response.status_code == 502
            assert alert(response.get_data(as_text=True)) == UNAVAILABLE
            order = only_order(app)
            assert order.status == "failed"
            assert order.error.startswith(case.reason)
            # The customer's links keep working: the order page says it failed.
            pay = client.get(f"/pay/{order.request_id}")
            assert pay.status_code == 303
            assert pay.location == f"/orders/{order.request_id}"
            assert client.get(pay.location).status_code == 200
        finally:
            close_app(app)


class BrokenAdapter(HTTPAdapter):
    """A transport with a defect: it raises what no gateway client expects."""

    def send(self, *args: object, **kwargs: object) -> requests.Response:
        raise RuntimeError("a defect in the transport")


def test_unexpected_error_in_the_client_is_a_502_and_a_failed_order(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The last line of defence: whatever breaks, the order does not stay `created`."""
    with fake_gateway() as gateway:
        app = make_app(database_url, GATEWAY_BASE_URL=gateway.url)
        try:
            session = requests.Session()
            session.mount("http://", BrokenAdapter())
            app.extensions["gateway_session"] = session
            response = post_checkout(app.test_client())
            assert response.status_code == 502
            assert alert(response.get_data(as_text=True)) == UNAVAILABLE
            order = only_order(app)
            assert (order.status, order.error) == ("failed", "gateway call failed: RuntimeError")
            assert logged(caplog, "obtain_token_crashed")
            assert "a defect in the transport" in caplog.text  # the traceback, for us
        finally:
            close_app(app)

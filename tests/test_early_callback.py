"""A status callback that overtakes obtain_token's answer must not cost the payment key.

The fake gateway (a real HTTP server) delivers a signed callback to the running app over
HTTP, waits for its answer, and only then answers obtain_token: the race, every time.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from checkout import signing
from checkout.extensions import db
from checkout.models import OrderEvent
from tests.support.apps import close_app, make_app
from tests.support.checkout import checkout_data, only_order
from tests.support.fake_gateway import Received, Reply, fake_gateway
from tests.support.live import serve

TIMEOUT = 10


def callback_first(app: Flask, status: str, answer: dict) -> Callable[[Received], Reply]:
    """Return a gateway that reports `status` for the order before answering `answer`."""

    def respond(token_call: Received) -> Reply:
        asked = token_call.json()
        fields = {
            "request_id": asked["request_id"],
            "status": status,
            "amount": asked["amount"],
            "currency": asked["currency"],
        }
        signed = signing.signed(fields, app.config["GATEWAY_SECRET"])
        delivered = requests.post(
            app.config["PUBLIC_BASE_URL"] + "/callback", json=signed, timeout=TIMEOUT
        )
        assert delivered.status_code == 200, delivered.text
        return Reply(json=answer)

    return respond


@pytest.fixture
def early(database_url: str):
    """Run the app on a real port against a gateway whose callback comes first."""
    with fake_gateway() as gateway:
        app = make_app(database_url, GATEWAY_BASE_URL=gateway.url)
        server, stop = serve(app)
        yield app, gateway, server.url
        stop()
        close_app(app)


def submit(url: str) -> requests.Response:
    with requests.Session() as http:
        form = http.get(url + "/", timeout=TIMEOUT).text
        return http.post(
            url + "/", data=checkout_data(form), allow_redirects=False, timeout=TIMEOUT
        )


@pytest.mark.parametrize("status", ["processing", "pending"])
def test_key_is_kept_when_a_pending_callback_came_first(early, status):
    app, gateway, url = early
    gateway.answer(callback_first(app, status, {"key": "early-key"}))
    response = submit(url)
    assert response.status_code == 303
    order = only_order(app)
    assert (order.status, order.gateway_key) == ("pending", "early-key")
    page = requests.get(url + f"/pay/{order.request_id}", timeout=TIMEOUT).text
    assert "/api/jsapi/open/early-key/" in page


def test_redirect_is_kept_when_a_pending_callback_came_first(early):
    app, gateway, url = early
    target = gateway.url + "/pay/elsewhere"  # the gateway's own host: allowed
    gateway.answer(callback_first(app, "processing", {"redirect_url": target}))
    response = submit(url)
    assert (response.status_code, response.headers["Location"]) == (303, target)
    assert only_order(app).redirect_url == target


def test_a_gateway_failure_after_a_pending_callback_still_fails_the_order(early):
    app, gateway, url = early
    respond = callback_first(app, "processing", {})

    def fail_after_callback(token_call: Received) -> Reply:
        respond(token_call)
        return Reply(status=503, json={"error": "down"})

    gateway.answer(fail_after_callback)
    response = submit(url)
    assert response.status_code == 502
    order = only_order(app)
    assert (order.status, order.gateway_key) == ("failed", None)


def test_a_final_state_reported_first_is_never_overwritten(early):
    app, gateway, url = early
    gateway.answer(callback_first(app, "success", {"key": "late-key"}))
    response = submit(url)
    assert response.status_code == 303
    order = only_order(app)
    assert (order.status, order.gateway_key) == ("paid", None)
    kinds = [event.kind for event in order_events(app, order.id)]
    assert kinds[-1] == "token_received"


def order_events(app: Flask, order_id: int) -> list[OrderEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
            )
        )

"""The sandbox's callback delivery: signed, server-to-server, retried with exponential backoff
until the merchant answers 200, bounded, each try logged."""

from __future__ import annotations

import logging
import time

import pytest
import requests

from checkout import signing
from tests.sandbox.helpers import (
    HTTP_TIMEOUT,
    closed_port_url,
    merchant_server,
    open_form,
    wait_for_deliveries,
)
from tests.support.logs import logged

TRIES = 4


@pytest.fixture
def merchant():
    with merchant_server() as server:
        yield server


@pytest.fixture
def callback_settings() -> dict:
    """Retry settings for the test; a test parametrizes this fixture to change them."""
    return {"SANDBOX_CALLBACK_TRIES": TRIES, "SANDBOX_CALLBACK_BACKOFF": 0.01}


@pytest.fixture
def app_overrides(merchant, callback_settings) -> dict:
    return {"SANDBOX_CALLBACK_URL": merchant.callback_url, **callback_settings}


def pay(live_server, **changes) -> dict:
    """Open a hosted form and press Pay; return the obtain_token body it was made from."""
    url, body = open_form(live_server, **changes)
    answer = requests.post(
        url, data={"decision": "pay"}, allow_redirects=False, timeout=HTTP_TIMEOUT
    )
    assert answer.status_code == 303
    return body


def test_the_callback_carries_the_payment_and_a_valid_signature(live_server, merchant):
    body = pay(live_server, amount=12345, currency="RUB", method="sbp")
    wait_for_deliveries(live_server.app)
    [callback] = merchant.received
    assert callback == {
        "request_id": body["request_id"],
        "invoice_id": "sbx-" + body["request_id"],
        "status": "success",
        "amount": 12345,
        "currency": "RUB",
        "method": "sbp",
        "signature": callback["signature"],
    }
    config = live_server.app.config
    signing.verify(callback, config["GATEWAY_SECRET"], config["GATEWAY_SIGNATURE_SCHEME"])


def test_a_failing_merchant_is_retried_until_it_answers_200(live_server, merchant):
    merchant.statuses = [500, 503, 200, 500]
    pay(live_server)
    wait_for_deliveries(live_server.app)
    assert len(merchant.received) == 3  # the 200 ended it; the scripted 500 after it is unused


def test_delivery_gives_up_after_the_configured_tries(live_server, merchant):
    merchant.statuses = [500] * 10
    pay(live_server)
    wait_for_deliveries(live_server.app)
    assert len(merchant.received) == TRIES


@pytest.mark.parametrize(
    "callback_settings", [{"SANDBOX_CALLBACK_TRIES": 4, "SANDBOX_CALLBACK_BACKOFF": 0.1}]
)
def test_the_pause_between_tries_doubles(live_server, merchant):
    merchant.statuses = [500] * 4
    pay(live_server)
    wait_for_deliveries(live_server.app)
    times = merchant.arrived_at
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(gaps) == 3
    for gap, least in zip(gaps, [0.1, 0.2, 0.4], strict=True):
        assert gap >= least


@pytest.mark.parametrize(
    "callback_settings", [{"SANDBOX_CALLBACK_TRIES": 3, "SANDBOX_CALLBACK_BACKOFF": 0.01}]
)
def test_each_try_is_logged(live_server, merchant, caplog):
    caplog.set_level(logging.INFO)
    merchant.statuses = [500, 200]
    body = pay(live_server)
    wait_for_deliveries(live_server.app)
    tries = logged(caplog, "sandbox_callback")
    assert len(tries) == 2
    assert tries[0]["request_id"] == body["request_id"]
    assert (tries[0]["attempt"], tries[0]["answer"]) == ("1/3", "500")
    assert (tries[1]["attempt"], tries[1]["answer"]) == ("2/3", "200")


def test_an_unreachable_merchant_is_retried_and_the_give_up_logged(live_server, caplog):
    caplog.set_level(logging.INFO)
    live_server.app.config["SANDBOX_CALLBACK_URL"] = closed_port_url()
    pay(live_server)
    wait_for_deliveries(live_server.app)
    answers = [line["answer"] for line in logged(caplog, "sandbox_callback")]
    assert answers == ["ConnectionError"] * TRIES
    assert logged(caplog, "sandbox_callback_gave_up")


@pytest.mark.parametrize(
    "callback_settings", [{"SANDBOX_CALLBACK_TRIES": 6, "SANDBOX_CALLBACK_BACKOFF": 30}]
)
def test_shutting_down_abandons_a_delivery_waiting_to_retry(live_server, merchant):
    merchant.statuses = [500] * 6
    pay(live_server)
    deadline = time.monotonic() + HTTP_TIMEOUT
    while not merchant.received and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    live_server.app.extensions["sandbox"].shutdown()
    assert time.monotonic() - started < 5  # not the 30 s pause before the next try
    assert len(merchant.received) == 1

"""`flask sandbox callback`: a signed callback sent by hand, synchronously, for demos."""

from __future__ import annotations

import re

import pytest
import requests

from tests.sandbox.helpers import (
    HTTP_TIMEOUT,
    closed_port_url,
    merchant_server,
    start_checkout,
    wait_for_status,
)


@pytest.fixture
def app_overrides() -> dict:
    return {"SANDBOX_CALLBACK_BACKOFF": 0.01}


def new_order(live_server) -> str:
    """Start a checkout over HTTP and return its request_id (the payment stays open)."""
    with requests.Session() as customer:
        location = start_checkout(live_server.url, customer, method="card")
    return location.removeprefix("/pay/")


def send(runner, request_id: str, *options: str):
    return runner.invoke(args=["sandbox", "callback", request_id, *options])


def outcomes(output: str) -> list[str]:
    """Return the outcome our /callback answered to each delivery the command printed."""
    return re.findall(r'→ HTTP 200 .*"outcome":\s*"(\w+)"', output)


def status_now(live_server, request_id: str) -> str:
    return wait_for_status(live_server.url, request_id, "-", timeout=0)


def test_a_success_callback_is_sent_and_answered_before_the_command_ends(live_server, runner):
    request_id = new_order(live_server)
    result = send(runner, request_id, "--status", "success")
    assert result.exit_code == 0, result.output
    assert f"POST {live_server.url}/callback" in result.output
    assert outcomes(result.output) == ["accepted"]
    assert status_now(live_server, request_id) == "paid"


def test_duplicate_sends_the_same_callback_twice_and_it_applies_once(live_server, runner):
    request_id = new_order(live_server)
    result = send(runner, request_id, "--status", "success", "--duplicate")
    assert outcomes(result.output) == ["accepted", "duplicate"]
    assert status_now(live_server, request_id) == "paid"


def test_another_amount_shows_a_mismatch_that_pays_nothing(live_server, runner):
    request_id = new_order(live_server)
    result = send(runner, request_id, "--status", "success", "--amount", "1")
    assert "amount=1 KZT" in result.output
    assert outcomes(result.output) == ["amount_mismatch"]
    assert status_now(live_server, request_id) == "pending"


def test_a_late_success_after_a_fail_marks_the_order_paid(live_server, runner):
    request_id = new_order(live_server)
    assert outcomes(send(runner, request_id, "--status", "fail").output) == ["accepted"]
    assert status_now(live_server, request_id) == "failed"
    assert outcomes(send(runner, request_id, "--status", "success").output) == ["accepted"]
    assert status_now(live_server, request_id) == "paid"


def test_expired_expires_the_order_and_closes_its_hosted_form(live_server, runner):
    request_id = new_order(live_server)
    with requests.Session() as customer:
        page = customer.get(f"{live_server.url}/pay/{request_id}", timeout=HTTP_TIMEOUT)
        form_url = re.search(r'<iframe src="([^"]+)"', page.text).group(1)
    assert outcomes(send(runner, request_id, "--status", "expired").output) == ["accepted"]
    assert status_now(live_server, request_id) == "expired"
    closed = requests.get(form_url, timeout=HTTP_TIMEOUT)
    assert closed.status_code == 410
    assert "The payment expired." in closed.text


def test_sandbox_callback_url_takes_precedence(live_server, runner):
    request_id = new_order(live_server)
    with merchant_server() as merchant:
        live_server.app.config["SANDBOX_CALLBACK_URL"] = merchant.callback_url
        result = send(runner, request_id, "--status", "success")
    assert result.exit_code == 0
    assert [callback["request_id"] for callback in merchant.received] == [request_id]


def test_without_a_callback_url_the_command_says_what_to_set(app, runner):
    assert app.config["PUBLIC_BASE_URL"] is None and app.config["SANDBOX_CALLBACK_URL"] is None
    result = send(runner, "any-order", "--status", "success")
    assert result.exit_code == 1
    assert "SANDBOX_CALLBACK_URL" in result.output and "PUBLIC_BASE_URL" in result.output


def test_an_unknown_request_id_is_named(live_server, runner):
    result = send(runner, "no-such-order", "--status", "success")
    assert result.exit_code == 1
    assert "no payment with request_id 'no-such-order'" in result.output


def test_an_unreachable_merchant_is_reported(live_server, runner):
    request_id = new_order(live_server)
    nowhere = closed_port_url()
    live_server.app.config["SANDBOX_CALLBACK_URL"] = nowhere
    result = send(runner, request_id, "--status", "success")
    assert result.exit_code == 1
    assert f"could not reach {nowhere}" in result.output


@pytest.mark.parametrize("status", ["paid", "SUCCESS", ""])
def test_only_the_gateways_status_words_are_accepted(live_server, runner, status):
    result = send(runner, new_order(live_server), "--status", status)
    assert result.exit_code == 2
    assert "success" in result.output and "expired" in result.output


@pytest.mark.parametrize("app_overrides", [{"GATEWAY_BASE_URL": "https://cactusgino.com"}])
def test_there_is_no_sandbox_command_beside_a_real_gateway(runner):
    result = send(runner, "any-order", "--status", "success")
    assert result.exit_code == 2
    assert "No such command 'sandbox'" in result.output

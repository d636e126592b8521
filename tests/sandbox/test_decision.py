"""Pay and Decline on the sandbox's hosted form: decided once, one callback, top-level exit."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.sandbox.helpers import (
    HTTP_TIMEOUT,
    merchant_server,
    open_form,
    wait_for_deliveries,
)


@pytest.fixture
def merchant():
    with merchant_server() as server:
        yield server


@pytest.fixture
def app_overrides(merchant) -> dict:
    return {"SANDBOX_CALLBACK_URL": merchant.callback_url, "SANDBOX_CALLBACK_BACKOFF": 0.01}


def decide(url: str, decision: str, **fields: str) -> requests.Response:
    return requests.post(
        url, data={"decision": decision, **fields}, allow_redirects=False, timeout=HTTP_TIMEOUT
    )


def statuses(merchant) -> list[str]:
    return [callback["status"] for callback in merchant.received]


@pytest.mark.parametrize(
    ("decision", "return_url", "status"),
    [("pay", "success_url", "success"), ("decline", "fail_url", "fail")],
)
def test_a_decision_sends_the_customer_back_and_one_callback(
    live_server, merchant, decision, return_url, status
):
    url, body = open_form(live_server)
    answer = decide(url, decision)
    assert (answer.status_code, answer.headers["Location"]) == (303, body[return_url])
    wait_for_deliveries(live_server.app)
    assert statuses(merchant) == [status]


def test_a_second_pay_sends_no_second_callback(live_server, merchant):
    url, body = open_form(live_server)
    decide(url, "pay")
    again = decide(url, "pay")
    assert (again.status_code, again.headers["Location"]) == (303, body["success_url"])
    wait_for_deliveries(live_server.app)
    assert statuses(merchant) == ["success"]


def test_decline_after_pay_changes_nothing(live_server, merchant):
    url, body = open_form(live_server)
    decide(url, "pay")
    late = decide(url, "decline")
    assert late.headers["Location"] == body["success_url"]  # where the real outcome is shown
    wait_for_deliveries(live_server.app)
    assert statuses(merchant) == ["success"]


def test_pay_pressed_in_many_tabs_at_once_sends_one_callback(live_server, merchant):
    url, body = open_form(live_server)
    answers: list[requests.Response] = []
    start = threading.Barrier(6)

    def press_pay() -> None:
        start.wait()
        answers.append(decide(url, "pay"))

    threads = [threading.Thread(target=press_pay) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HTTP_TIMEOUT)
    assert [answer.headers["Location"] for answer in answers] == [body["success_url"]] * 6
    wait_for_deliveries(live_server.app)
    assert statuses(merchant) == ["success"]


def test_an_unknown_decision_decides_nothing(live_server, merchant):
    url, _ = open_form(live_server)
    assert decide(url, "maybe").status_code == 400
    assert requests.get(url, timeout=HTTP_TIMEOUT).status_code == 200
    wait_for_deliveries(live_server.app)
    assert merchant.received == []


def test_the_method_picked_on_the_form_is_reported(live_server, merchant):
    url, _ = open_form(live_server, method=None)
    decide(url, "pay", method="cis_transfer_card", bank_app="tbank")
    wait_for_deliveries(live_server.app)
    assert merchant.received[0]["method"] == "cis_transfer_card"


def test_without_return_urls_the_outcome_is_shown_on_the_form(live_server, merchant):
    url, _ = open_form(live_server, success_url=None, fail_url=None, language="RU")
    answer = decide(url, "decline")
    assert answer.status_code == 200
    assert "Оплата отклонена." in answer.text and "Это окно можно закрыть." in answer.text
    wait_for_deliveries(live_server.app)
    assert statuses(merchant) == ["fail"]


def test_an_unknown_key_decides_nothing(live_server, merchant):
    answer = decide(live_server.url + "/sandbox/api/jsapi/open/no-such-key/", "pay")
    assert answer.status_code == 404
    wait_for_deliveries(live_server.app)
    assert merchant.received == []

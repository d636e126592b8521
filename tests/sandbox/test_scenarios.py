"""The sandbox's test scenarios end to end over real HTTP, on both engines: a customer pays
through the real checkout form, the sandbox behaves as the scenario says, and its callbacks
reach our real /callback (docs/sandbox.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from checkout.expiry import expire_stale_orders
from checkout.extensions import db
from checkout.models import CallbackRecord
from checkout.orders import get_order
from checkout.sandbox.scenarios import Scenario, from_amount
from tests.sandbox.helpers import (
    HTTP_TIMEOUT,
    hosted_form_url,
    make_sandbox_app,
    request_id_on,
    start_checkout,
    wait_for_deliveries,
    wait_for_status,
)
from tests.support.apps import close_app
from tests.support.live import LiveServer, serve

DELAY = 1.5


@pytest.fixture
def site(database_url: str) -> Iterator[LiveServer]:
    """The app on a real port, its callbacks retried quickly, the delay scenario shortened."""
    app = make_sandbox_app(
        database_url,
        SANDBOX_CALLBACK_BACKOFF=0.01,
        SANDBOX_CALLBACK_TRIES=3,
        SANDBOX_SCENARIO_DELAY=DELAY,
    )
    server, stop = serve(app)
    yield server
    close_app(app)
    stop()


@pytest.fixture
def customer() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def pay(
    site: LiveServer, customer: requests.Session, amount: str, **form: str
) -> tuple[str, requests.Response]:
    """Check out `amount` KZT and press Pay on the hosted form; return the request_id and
    the hosted form's answer (its 303 sends the customer's window back to us)."""
    location = start_checkout(site.url, customer, method="card", amount=amount)
    request_id = location.removeprefix("/pay/")
    form_url = hosted_form_url(site.url, customer, request_id)
    answer = customer.post(
        form_url,
        data={"decision": "pay", **form},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    return request_id, answer


def callbacks(site: LiveServer, request_id: str) -> list[tuple[str, str]]:
    """Return the gateway status and our outcome of every callback stored for the order."""
    with site.app.app_context():
        records = db.session.scalars(
            select(CallbackRecord)
            .where(CallbackRecord.request_id == request_id)
            .order_by(CallbackRecord.id)
        )
        return [(record.gateway_status, record.outcome) for record in records]


def order(site: LiveServer, request_id: str):
    with site.app.app_context():
        return get_order(request_id)


@pytest.mark.parametrize(
    ("amount", "scenario"),
    [
        ("90.00", Scenario.PAID),
        ("90.01", Scenario.PAID),
        ("90.02", Scenario.DECLINED),
        ("90.03", Scenario.DELIVERED_3_TIMES),
        ("90.04", Scenario.LOST),
        ("90.05", Scenario.FAILURE_AFTER_SUCCESS),
        ("90.06", Scenario.AMOUNT_MISMATCH),
        ("90.07", Scenario.BAD_SIGNATURE),
        ("90.08", Scenario.REDIRECT_URL),
        ("90.20", Scenario.DELAYED),
        ("1234.56", Scenario.PAID),
    ],
)
def test_the_last_two_digits_of_the_minor_amount_name_the_scenario(amount, scenario):
    minor = int(amount.replace(".", ""))
    assert from_amount(minor) == scenario


def test_paid(site, customer):
    request_id, answer = pay(site, customer, "90.01")
    assert answer.headers["Location"] == f"{site.url}/orders/{request_id}/success"
    assert wait_for_status(site.url, request_id, "paid") == "paid"
    wait_for_deliveries(site.app)
    assert callbacks(site, request_id) == [("success", "accepted")]


def test_declined_sends_the_customer_to_fail_url_and_fails_the_order(site, customer):
    request_id, answer = pay(site, customer, "90.02")
    assert answer.headers["Location"] == f"{site.url}/orders/{request_id}/fail"
    assert wait_for_status(site.url, request_id, "failed") == "failed"
    wait_for_deliveries(site.app)
    assert callbacks(site, request_id) == [("fail", "accepted")]


def test_callback_delayed_arrives_only_after_the_delay(site, customer):
    pressed = time.monotonic()
    request_id, answer = pay(site, customer, "90.20")
    assert answer.headers["Location"] == f"{site.url}/orders/{request_id}/success"
    # Back at the shop at once; nothing has arrived yet.
    assert wait_for_status(site.url, request_id, "paid", timeout=DELAY / 2) == "pending"
    assert callbacks(site, request_id) == []
    assert wait_for_status(site.url, request_id, "paid", timeout=DELAY + 5) == "paid"
    assert time.monotonic() - pressed >= DELAY
    assert callbacks(site, request_id) == [("success", "accepted")]


def test_the_delay_is_twenty_seconds_unless_configured(app):
    assert app.config["SANDBOX_SCENARIO_DELAY"] == 20


def test_callback_delivered_three_times_is_applied_once(site, customer):
    request_id, _ = pay(site, customer, "90.03")
    wait_for_deliveries(site.app)
    assert callbacks(site, request_id) == [
        ("success", "accepted"),
        ("success", "duplicate"),
        ("success", "duplicate"),
    ]
    with site.app.app_context():
        paid = get_order(request_id)
        assert paid.status == "paid"
        assert [event.to_status for event in paid.events].count("paid") == 1


def test_callback_lost_sends_nothing_and_the_order_expires(site, customer):
    request_id, answer = pay(site, customer, "90.04")
    # The customer paid: the gateway sends them to success_url, which keeps confirming.
    assert answer.headers["Location"] == f"{site.url}/orders/{request_id}/success"
    wait_for_deliveries(site.app)
    assert wait_for_status(site.url, request_id, "paid", timeout=0.5) == "pending"
    assert callbacks(site, request_id) == []
    with site.app.app_context():
        report = expire_stale_orders(timedelta(0))
    assert report.expired == 1
    assert order(site, request_id).status == "expired"


def test_failure_reported_after_success_is_recorded_and_flagged_not_applied(site, customer):
    request_id, _ = pay(site, customer, "90.05")
    wait_for_deliveries(site.app)
    assert callbacks(site, request_id) == [("success", "accepted"), ("fail", "ignored_after_paid")]
    flagged = order(site, request_id)
    assert flagged.status == "paid"
    assert flagged.review_reason


def test_amount_mismatch_never_pays_and_flags_the_order(site, customer):
    request_id, _ = pay(site, customer, "90.06")
    wait_for_deliveries(site.app)
    assert callbacks(site, request_id) == [("success", "amount_mismatch")]
    flagged = order(site, request_id)
    assert flagged.status == "pending"
    assert flagged.review_reason


def test_bad_signature_is_refused_on_every_retry(site, customer):
    request_id, _ = pay(site, customer, "90.07")
    wait_for_deliveries(site.app)
    # Refused with 403, so the gateway retries: SANDBOX_CALLBACK_TRIES (3) deliveries.
    assert callbacks(site, request_id) == [("success", "bad_signature")] * 3
    assert order(site, request_id).status == "pending"


def test_redirect_url_instead_of_a_key(site, customer):
    location = start_checkout(site.url, customer, method="card", amount="90.08")
    # No payment page of ours: the gateway's answer named a URL to send the customer to.
    assert location.startswith(site.url + "/sandbox/api/jsapi/open/")
    page = customer.get(location, timeout=HTTP_TIMEOUT)
    request_id = request_id_on(page.text)
    answer = customer.post(
        location, data={"decision": "pay"}, allow_redirects=False, timeout=HTTP_TIMEOUT
    )
    assert answer.headers["Location"] == f"{site.url}/orders/{request_id}/success"
    assert wait_for_status(site.url, request_id, "paid") == "paid"


def test_the_form_offers_every_scenario_starting_at_the_amounts(site, customer):
    location = start_checkout(site.url, customer, method="card", amount="90.05")
    page = customer.get(
        hosted_form_url(site.url, customer, location.removeprefix("/pay/")), timeout=HTTP_TIMEOUT
    ).text
    assert 'name="scenario"' in page
    assert '<option value="failure_after_success" selected>' in page
    for scenario in Scenario:
        offered = f'<option value="{scenario}"' in page
        assert offered == (scenario != Scenario.REDIRECT_URL), scenario
    assert "Paid, callback delayed (1.5 s)" in page


def test_the_scenario_picked_on_the_form_wins_over_the_amount(site, customer):
    request_id, answer = pay(site, customer, "90.02", scenario="delivered_3_times")
    assert answer.headers["Location"] == f"{site.url}/orders/{request_id}/success"
    wait_for_deliveries(site.app)
    assert [outcome for _, outcome in callbacks(site, request_id)] == [
        "accepted",
        "duplicate",
        "duplicate",
    ]


@pytest.mark.parametrize("scenario", ["redirect_url", "chaos", "PAID"])
def test_a_scenario_the_form_does_not_offer_decides_nothing(site, customer, scenario):
    request_id, answer = pay(site, customer, "90.00", scenario=scenario)
    assert answer.status_code == 400
    assert "Choose one of the test scenarios." in answer.text
    wait_for_deliveries(site.app)
    assert callbacks(site, request_id) == []
    assert order(site, request_id).status == "pending"


def test_decline_ignores_the_scenario(site, customer):
    location = start_checkout(site.url, customer, method="card", amount="90.03")
    request_id = location.removeprefix("/pay/")
    answer = customer.post(
        hosted_form_url(site.url, customer, request_id),
        data={"decision": "decline", "scenario": "paid"},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert answer.headers["Location"] == f"{site.url}/orders/{request_id}/fail"
    wait_for_deliveries(site.app)
    assert callbacks(site, request_id) == [("fail", "accepted")]

"""The whole journey over real HTTP: the app on a port, `requests` as the customer, the
sandbox as the gateway, and its callback marking the order."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import CallbackRecord
from checkout.sandbox import payments
from tests.sandbox.helpers import (
    HTTP_TIMEOUT,
    hosted_form_url,
    request_id_on,
    start_checkout,
    wait_for_deliveries,
    wait_for_status,
)


@pytest.fixture
def app_overrides() -> dict:
    return {"SANDBOX_CALLBACK_BACKOFF": 0.01, "SANDBOX_CALLBACK_TRIES": 3}


@pytest.fixture
def customer():
    with requests.Session() as session:
        yield session


def press(session: requests.Session, form_url: str, **fields: str) -> requests.Response:
    """Press a button of the hosted form; the browser would follow the 303 in the top window."""
    return session.post(form_url, data=fields, allow_redirects=False, timeout=HTTP_TIMEOUT)


@pytest.mark.parametrize(
    ("decision", "lands_on", "final_status"),
    [("pay", "success", "paid"), ("decline", "fail", "failed")],
)
def test_a_checkout_through_the_sandbox_ends_in_the_customers_decision(
    live_server, customer, decision, lands_on, final_status
):
    location = start_checkout(live_server.url, customer, method="card")
    assert location.startswith("/pay/")
    request_id = location.removeprefix("/pay/")
    form_url = hosted_form_url(live_server.url, customer, request_id)
    assert form_url.startswith(live_server.url + "/sandbox/api/jsapi/open/")
    assert customer.get(form_url, timeout=HTTP_TIMEOUT).status_code == 200

    answer = press(customer, form_url, decision=decision)
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"{live_server.url}/orders/{request_id}/{lands_on}"
    assert customer.get(answer.headers["Location"], timeout=HTTP_TIMEOUT).status_code == 200
    assert wait_for_status(live_server.url, request_id, final_status) == final_status


def test_a_customer_who_picks_a_bank_transfer_on_the_form_gets_paid(live_server, customer):
    location = start_checkout(live_server.url, customer, method="", language="RU", currency="RUB")
    request_id = location.removeprefix("/pay/")
    form_url = hosted_form_url(live_server.url, customer, request_id)
    steps = [
        {"step": "method", "method": "cis_transfer"},
        {"step": "bank_app", "method": "cis_transfer", "bank_app": "sberbank"},
    ]
    for step in steps:
        page = customer.get(form_url, params=step, timeout=HTTP_TIMEOUT)
        assert page.status_code == 200
    assert "Откройте приложение СберБанк Онлайн" in page.text
    answer = press(customer, form_url, decision="pay", method="cis_transfer", bank_app="sberbank")
    assert answer.headers["Location"].endswith(f"/orders/{request_id}/success")
    assert wait_for_status(live_server.url, request_id, "paid") == "paid"


@pytest.mark.parametrize("app_overrides", [{"SANDBOX_REDIRECT": True}])
def test_redirect_mode_sends_the_customer_to_the_hosted_form_and_gets_paid(live_server, customer):
    location = start_checkout(live_server.url, customer, method="sbp")
    assert location.startswith(live_server.url + "/sandbox/api/jsapi/open/")
    page = customer.get(location, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200
    request_id = request_id_on(page.text)
    answer = press(customer, location, decision="pay")
    assert answer.headers["Location"] == f"{live_server.url}/orders/{request_id}/success"
    assert wait_for_status(live_server.url, request_id, "paid") == "paid"


@pytest.mark.parametrize(
    "app_overrides",
    [{"SANDBOX_CALLBACK_BACKOFF": 0.01, "CHECKOUT_CURRENCIES": ["KZT", "IDR", "HUF"]}],
)
@pytest.mark.parametrize(
    ("typed", "currency", "minor", "shown"),
    [
        ("1000.50", "IDR", 100_050, "IDR\u00a01,000.50"),
        ("25000", "IDR", 2_500_000, "IDR\u00a025,000.00"),
        ("1234,56", "HUF", 123_456, "HUF\u00a01,234.56"),
    ],
)
def test_idr_and_huf_are_paid_in_iso_4217_hundredths(
    live_server, customer, typed, currency, minor, shown
):
    """ISO 4217 gives IDR and HUF two decimals where CLDR gives none: a 100x trap."""
    location = start_checkout(
        live_server.url, customer, method="card", amount=typed, currency=currency
    )
    request_id = location.removeprefix("/pay/")
    with live_server.app.app_context():
        asked = payments.find_by_request_id(request_id).params
    assert (asked["amount"], asked["currency"]) == (minor, currency)
    form_url = hosted_form_url(live_server.url, customer, request_id)
    assert shown in customer.get(form_url, timeout=HTTP_TIMEOUT).text
    press(customer, form_url, decision="pay")
    assert wait_for_status(live_server.url, request_id, "paid") == "paid"
    with live_server.app.app_context():
        record = db.session.scalar(
            select(CallbackRecord).where(CallbackRecord.request_id == request_id)
        )
    assert json.loads(record.body)["amount"] == minor
    status = requests.get(f"{live_server.url}/orders/{request_id}/status", timeout=HTTP_TIMEOUT)
    assert status.json() == {
        "request_id": request_id,
        "status": "paid",
        "amount": minor,
        "currency": currency,
    }


def test_returning_to_success_url_alone_marks_nothing_paid(live_server, customer):
    """Only the verified callback pays an order; here the merchant never receives it."""
    live_server.app.config["SANDBOX_CALLBACK_URL"] = live_server.url + "/nowhere"
    location = start_checkout(live_server.url, customer, method="card")
    request_id = location.removeprefix("/pay/")
    answer = press(customer, hosted_form_url(live_server.url, customer, request_id), decision="pay")
    customer.get(answer.headers["Location"], timeout=HTTP_TIMEOUT)
    wait_for_deliveries(live_server.app)
    assert wait_for_status(live_server.url, request_id, "paid", timeout=0.2) == "pending"

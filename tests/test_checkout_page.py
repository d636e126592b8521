"""The customer's page at a checkout's url: the merchant's fixed values shown and never taken
from the form, the open ones chosen, one payment at a time, paid at most once, retries."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.extensions import db
from checkout.models import Order
from tests.support.api import (
    AUTH,
    CHECKOUTS,
    checkout_path,
    new_checkout,
    pay_at_checkout,
    request_id_from,
)
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.checkout import alert, all_orders, checkout_data, count, post_checkout
from tests.support.fake_gateway import FakeGateway, Reply, fake_gateway

FIELD = re.compile(r'<(?:input|select)[^>]*\bname="([a-z_]+)"')


def fields_of(page: str) -> set[str]:
    """Return the names of the fields a customer can fill in (hidden tokens left out)."""
    return set(FIELD.findall(page)) - {"csrf_token", "submission_token"}


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with fake_gateway(Reply(json={"key": "fake-key"})) as server:
        yield server


@pytest.fixture
def shop(sqlite_url: str, gateway: FakeGateway) -> Iterator[Flask]:
    """The checkout talking to a fake live gateway that records each obtain_token."""
    app = make_app(sqlite_url, GATEWAY_BASE_URL=gateway.url)
    yield app
    close_app(app)


@pytest.fixture
def customer(shop: Flask) -> FlaskClient:
    return shop.test_client()


def pay(app: Flask, request_id: str, status: str = "success") -> None:
    """Deliver the gateway's signed callback for an order."""
    with app.app_context():
        order = db.session.scalar(db.select(Order).filter_by(request_id=request_id))
        body = callback_for(app, order, status=status)
    assert app.test_client().post("/callback", json=body).status_code == 200


# --- what the page shows -------------------------------------------------------------------


def test_fixed_values_are_shown_and_only_the_open_ones_are_fields(customer: FlaskClient) -> None:
    checkout = new_checkout(customer, metadata={"user": 1})

    response = customer.get(checkout_path(checkout))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert fields_of(page) == {"method", "bank_app", "language"}
    assert "<dd>alice</dd>" in page and "<dd>KZT\u00a090.00</dd>" in page


@pytest.mark.parametrize(
    ("fixed", "fields"),
    [
        (
            {"amount": None, "currency": None},
            {"amount", "currency", "method", "bank_app", "language"},
        ),
        ({"amount": None}, {"amount", "method", "bank_app", "language"}),
        ({"method": "card", "language": "RU"}, set()),
        ({"method": "cis_transfer"}, {"bank_app", "language"}),
        ({"method": "cis_transfer", "bank_app": "tbank", "language": "KZ"}, set()),
    ],
)
def test_the_customer_is_asked_only_what_the_merchant_left_open(
    customer: FlaskClient, fixed: dict, fields: set[str]
) -> None:
    page = customer.get(checkout_path(new_checkout(customer, **fixed))).get_data(as_text=True)
    assert fields_of(page) == fields


def test_a_fixed_method_needing_a_bank_app_asks_for_it_visibly(customer: FlaskClient) -> None:
    page = customer.get(checkout_path(new_checkout(customer, method="cis_transfer"))).get_data(
        as_text=True
    )
    # Not the `bank-app` class, which CSS hides unless a CIS method is picked in a select.
    assert re.search(r'<div class="field\s+" id="bank_app-field">', page)
    assert re.search(r'<select[^>]*name="bank_app"[^>]*required', page)


def test_unknown_checkout_is_a_404_page(customer: FlaskClient) -> None:
    response = customer.get("/c/nope")
    assert response.status_code == 404
    assert "We could not find this payment." in response.get_data(as_text=True)


# --- what the gateway is asked -------------------------------------------------------------


def test_tampered_fixed_values_are_ignored(
    shop: Flask, customer: FlaskClient, gateway: FakeGateway
) -> None:
    checkout = new_checkout(customer, method="sbp", language="RU")

    response = pay_at_checkout(
        customer,
        checkout,
        site_login="mallory",
        amount="1.00",
        currency="USD",
        method="card",
        language="EN",
        customer_type="trust",
    )

    request_id_from(response)
    sent = gateway.token_calls[0].json()
    assert (sent["site_login"], sent["amount"], sent["currency"]) == ("alice", 9000, "KZT")
    assert (sent["method"], sent["language"], sent["customer_type"]) == ("sbp", "RU", "regular")
    order = all_orders(shop)[0]
    assert (order.site_login, order.amount, order.currency) == ("alice", 9000, "KZT")


def test_open_values_are_the_customers_choice(customer: FlaskClient, gateway: FakeGateway) -> None:
    checkout = new_checkout(customer, amount=None, currency=None)

    pay_at_checkout(
        customer,
        checkout,
        amount="12.50",
        currency="USD",
        method="cis_transfer",
        bank_app="tbank",
        language="KZ",
    )

    sent = gateway.token_calls[0].json()
    assert (sent["amount"], sent["currency"], sent["method"]) == (1250, "USD", "cis_transfer")
    assert (sent["additional_fields"], sent["language"]) == ({"bank_app": "tbank"}, "KZ")


def test_open_values_follow_the_forms_rules(shop: Flask, customer: FlaskClient) -> None:
    checkout = new_checkout(customer, amount=None, currency="KZT")

    response = pay_at_checkout(customer, checkout, amount="1.005", method="cis_transfer")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "KZT allows at most 2 digits after the point." in page
    assert "Choose the bank app you will pay with." in page
    assert count(shop, Order) == 0


def test_trust_reaches_the_gateway_only_through_a_checkout_that_says_so(
    customer: FlaskClient, gateway: FakeGateway
) -> None:
    request_id_from(pay_at_checkout(customer, new_checkout(customer, customer_type="trust")))
    request_id_from(pay_at_checkout(customer, new_checkout(customer)))
    assert post_checkout(customer, site_login="alice", customer_type="trust").status_code == 303

    sent = [call.json()["customer_type"] for call in gateway.token_calls]
    assert sent == ["trust", "regular", "regular"]


def test_the_success_and_fail_urls_are_the_orders_own(
    customer: FlaskClient, gateway: FakeGateway
) -> None:
    request_id = request_id_from(pay_at_checkout(customer, new_checkout(customer)))
    sent = gateway.token_calls[0].json()
    assert sent["success_url"].endswith(f"/orders/{request_id}/success")
    assert sent["fail_url"].endswith(f"/orders/{request_id}/fail")


# --- one payment at a time, paid once --------------------------------------------------------


def test_double_submit_makes_one_payment(
    shop: Flask, customer: FlaskClient, gateway: FakeGateway
) -> None:
    checkout = new_checkout(customer)
    page = customer.get(checkout_path(checkout)).get_data(as_text=True)
    data = checkout_data(page, method="card")

    first = customer.post(checkout_path(checkout), data=data)
    second = customer.post(checkout_path(checkout), data=data)

    assert first.headers["Location"] == second.headers["Location"]
    assert count(shop, Order) == 1
    assert len(gateway.token_calls) == 1


def test_a_second_tab_joins_the_payment_under_way(
    shop: Flask, customer: FlaskClient, gateway: FakeGateway
) -> None:
    checkout = new_checkout(customer)
    first_tab = customer.get(checkout_path(checkout)).get_data(as_text=True)
    second_tab = customer.get(checkout_path(checkout)).get_data(as_text=True)

    first = customer.post(checkout_path(checkout), data=checkout_data(first_tab, method="card"))
    second = customer.post(checkout_path(checkout), data=checkout_data(second_tab, method="sbp"))

    assert request_id_from(first) == request_id_from(second)
    assert count(shop, Order) == 1
    assert len(gateway.token_calls) == 1
    page = customer.get(checkout_path(checkout)).get_data(as_text=True)
    assert "A payment for this checkout is already under way." in page
    assert f'href="/pay/{request_id_from(first)}"' in page


def test_a_paid_checkout_shows_its_paid_state_and_starts_nothing(
    shop: Flask, customer: FlaskClient, gateway: FakeGateway
) -> None:
    checkout = new_checkout(customer, return_url="https://shop.example/wallet")
    page = customer.get(checkout_path(checkout)).get_data(as_text=True)
    request_id = request_id_from(customer.post(checkout_path(checkout), data=checkout_data(page)))
    pay(shop, request_id)

    shown = customer.get(checkout_path(checkout))
    again = customer.post(checkout_path(checkout), data=checkout_data(page))

    assert shown.status_code == again.status_code == 200
    text = shown.get_data(as_text=True)
    assert "Payment complete" in text
    assert f'href="/orders/{request_id}"' in text
    assert 'href="https://shop.example/wallet"' in text
    assert count(shop, Order) == 1
    assert len(gateway.token_calls) == 1
    state = customer.get(f"{CHECKOUTS}/{checkout['id']}", headers=AUTH).get_json()
    assert state["status"] == "paid"
    assert state["orders"] == [{"request_id": request_id, "status": "paid"}]


def test_a_failed_attempt_can_be_retried_with_a_new_order(
    shop: Flask, customer: FlaskClient, gateway: FakeGateway
) -> None:
    checkout = new_checkout(customer)
    failed = request_id_from(pay_at_checkout(customer, checkout))
    pay(shop, failed, status="declined")

    order_page = customer.get(f"/orders/{failed}").get_data(as_text=True)
    assert f'href="{checkout_path(checkout)}">Try again' in order_page
    retried = request_id_from(pay_at_checkout(customer, checkout))
    pay(shop, retried)

    assert retried != failed
    state = customer.get(f"{CHECKOUTS}/{checkout['id']}", headers=AUTH).get_json()
    assert state["status"] == "paid"
    assert state["orders"] == [
        {"request_id": failed, "status": "failed"},
        {"request_id": retried, "status": "paid"},
    ]


def test_a_gateway_failure_is_a_502_and_the_customer_can_try_again(
    shop: Flask, customer: FlaskClient, gateway: FakeGateway
) -> None:
    checkout = new_checkout(customer)
    gateway.answer(Reply(status=503, json={"error": "down"}))
    refused = pay_at_checkout(customer, checkout)
    assert refused.status_code == 502
    assert "not available right now" in refused.get_data(as_text=True)

    gateway.answer(Reply(json={"key": "k2"}))
    request_id_from(pay_at_checkout(customer, checkout))
    assert [order.status for order in all_orders(shop)] == ["failed", "pending"]


DOWN = Reply(status=503, json={"error": "down"})
KEY = Reply(json={"key": "k"})
UNAVAILABLE = "The payment service is not available right now. Please try again in a minute."
NOT_STARTED = "We could not start this payment. Please try again."
ALREADY_SUBMITTED = (
    "This form was already submitted with other details. "
    "Please check them and press Continue to payment again."
)
# How a form's post is answered, whichever form it is: the gateway's reply, the fields
# changed in a second post of the same page (None: posted once), the status, and where
# the customer is sent (the request_id left out) or the message above the form.
SAME_ANSWERS = {
    "started": (KEY, None, 303, "/pay"),
    "gateway down": (DOWN, None, 502, UNAVAILABLE),
    "posted again after a failure": (DOWN, {}, 502, NOT_STARTED),
    "posted again": (KEY, {}, 303, "/pay"),
    "posted again with other details": (KEY, {"method": "sbp"}, 409, ALREADY_SUBMITTED),
}


def post_page(client: FlaskClient, path: str, again: dict[str, str] | None) -> tuple[int, str]:
    """Post the form at `path` (a second time when `again` says so); return the status and
    where the customer is sent, without the request_id, or the message above the form."""
    page = client.get(path).get_data(as_text=True)
    response = client.post(path, data=checkout_data(page))
    if again is not None:
        response = client.post(path, data=checkout_data(page, **again))
    if response.status_code == 303:
        return 303, response.location.rsplit("/", 1)[0]
    return response.status_code, alert(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("reply", "again", "status", "shown"), SAME_ANSWERS.values(), ids=SAME_ANSWERS.keys()
)
def test_a_checkouts_page_answers_a_post_as_the_open_form_does(
    database_url: str, reply: Reply, again: dict[str, str] | None, status: int, shown: str
) -> None:
    with fake_gateway(reply) as gateway:
        app = make_app(database_url, GATEWAY_BASE_URL=gateway.url)
        try:
            client = app.test_client()
            paths = ["/", checkout_path(new_checkout(client))]
            answers = [post_page(client, path, again) for path in paths]
        finally:
            close_app(app)

    assert answers == [(status, shown), (status, shown)]


def test_the_order_page_links_back_to_the_shop(customer: FlaskClient) -> None:
    checkout = new_checkout(customer, return_url="https://shop.example/wallet?from=pay")
    request_id = request_id_from(pay_at_checkout(customer, checkout))

    page = customer.get(f"/orders/{request_id}").get_data(as_text=True)

    assert '<a href="https://shop.example/wallet?from=pay">Back to the shop</a>' in page


def test_an_open_form_order_has_no_link_back(customer: FlaskClient) -> None:
    request_id = request_id_from(post_checkout(customer))
    page = customer.get(f"/orders/{request_id}").get_data(as_text=True)
    assert "Back to the shop" not in page


def test_a_second_paid_order_is_flagged_and_the_checkout_keeps_its_first(
    database_url: str,
) -> None:
    """A late success for an order that failed first still pays it (money received wins),
    but the checkout stays settled by the order paid first, and the other is flagged."""
    with fake_gateway(Reply(json={"key": "k"})) as gateway:
        app = make_app(database_url, GATEWAY_BASE_URL=gateway.url)
        try:
            client = app.test_client()
            checkout = new_checkout(client)
            first = request_id_from(pay_at_checkout(client, checkout))
            pay(app, first, status="declined")
            second = request_id_from(pay_at_checkout(client, checkout))
            pay(app, second)
            pay(app, first)  # the gateway changes its mind: money received

            orders = {order.request_id: order for order in all_orders(app)}
            state = client.get(f"{CHECKOUTS}/{checkout['id']}", headers=AUTH).get_json()
        finally:
            close_app(app)

    assert orders[first].status == orders[second].status == "paid"
    assert orders[second].review_reason is None
    assert orders[first].review_reason == "paid after its checkout was paid by another order"
    assert state["status"] == "paid"


# --- the open form switched off --------------------------------------------------------------


@pytest.mark.parametrize("app_overrides", [{"OPEN_CHECKOUT": False}])
def test_open_checkout_off_closes_the_form_but_not_checkouts(
    app: Flask, client: FlaskClient
) -> None:
    shown = client.get("/")
    posted = client.post(
        "/",
        data={
            "amount": "90.00",
            "currency": "KZT",
            "site_login": "a",
            "submission_token": "t" * 22,
        },
    )

    assert shown.status_code == posted.status_code == 404
    assert "Payments start at the shop" in shown.get_data(as_text=True)
    assert count(app, Order) == 0
    request_id = request_id_from(pay_at_checkout(client, new_checkout(client)))
    assert client.get(f"/pay/{request_id}").status_code == 200

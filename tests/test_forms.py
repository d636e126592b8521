"""The checkout form through the test client: every bad value is refused before the gateway."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Order
from checkout.orders import CheckoutDetails, create_order
from checkout.sandbox.models import SandboxPayment
from checkout.views import token_request_for
from tests.support.checkout import count, field_error, only_order, post_checkout

NBSP = "\u00a0"
PLAIN = "Enter the amount as a plain number, for example 90.00."
POSITIVE = "The amount must be greater than zero."


def sent_params(app: Flask) -> dict:
    """Return the parameters the (sandbox) gateway received for the one payment."""
    with app.app_context():
        payments = db.session.scalars(select(SandboxPayment)).all()
        assert len(payments) == 1
        return payments[0].params


UNSIGNABLE_LOGIN = "Your login must not contain &, = or unprintable characters."
BAD_VALUES = [
    # (field in error, changed form fields, message next to that field)
    ("amount", {"amount": ""}, "Enter an amount."),
    ("amount", {"amount": "   "}, "Enter an amount."),
    ("amount", {"amount": "ninety"}, PLAIN),
    ("amount", {"amount": "0"}, POSITIVE),
    ("amount", {"amount": "0.00"}, POSITIVE),
    ("amount", {"amount": "-5"}, POSITIVE),
    ("amount", {"amount": "NaN"}, PLAIN),
    ("amount", {"amount": "Infinity"}, PLAIN),
    ("amount", {"amount": "1e3"}, PLAIN),
    ("amount", {"amount": "90.001"}, "KZT allows at most 2 digits after the point."),
    (
        "amount",
        {"amount": "1.505", "currency": "IDR"},
        "IDR allows at most 2 digits after the point.",
    ),
    (
        "amount",
        {"amount": "1000000.01"},
        f"The amount must not exceed KZT{NBSP}1,000,000.00.",
    ),
    ("amount", {"amount": "9" * 40}, f"The amount must not exceed KZT{NBSP}1,000,000.00."),
    ("currency", {"currency": "XYZ"}, "Choose one of the currencies in the list."),
    ("currency", {"currency": "JPY"}, "Choose one of the currencies in the list."),
    ("currency", {"currency": ""}, "Choose one of the currencies in the list."),
    ("method", {"method": "bitcoin"}, "Choose one of the payment methods in the list."),
    ("method", {"method": "CARD"}, "Choose one of the payment methods in the list."),
    ("language", {"language": "DE"}, "Choose one of the languages in the list."),
    ("language", {"language": ""}, "Choose one of the languages in the list."),
    (
        "bank_app",
        {"method": "cis_transfer", "bank_app": "alfabank"},
        "Choose Sberbank or T-Bank.",
    ),
    (
        "bank_app",
        {"method": "cis_transfer", "bank_app": ""},
        "Choose the bank app you will pay with.",
    ),
    (
        "bank_app",
        {"method": "cis_transfer_card", "bank_app": ""},
        "Choose the bank app you will pay with.",
    ),
    ("site_login", {"site_login": ""}, "Enter your login."),
    ("site_login", {"site_login": "   "}, "Enter your login."),
    ("site_login", {"site_login": "a" * 65}, "Your login must be at most 64 characters."),
    ("site_login", {"site_login": "ali\x07ce"}, UNSIGNABLE_LOGIN),
    ("site_login", {"site_login": "ali\nce"}, UNSIGNABLE_LOGIN),
    ("site_login", {"site_login": "ali\x00ce"}, UNSIGNABLE_LOGIN),
    ("site_login", {"site_login": "x&status=success"}, UNSIGNABLE_LOGIN),
    ("site_login", {"site_login": "tom&jerry"}, UNSIGNABLE_LOGIN),
    ("site_login", {"site_login": "a=b"}, UNSIGNABLE_LOGIN),
]


@pytest.mark.parametrize(("field", "fields", "message"), BAD_VALUES)
def test_bad_value_is_refused_next_to_its_field_before_the_gateway(
    app: Flask, client: FlaskClient, field: str, fields: dict[str, str], message: str
) -> None:
    response = post_checkout(client, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, field) == message
    assert "Please correct the highlighted fields." in page
    assert count(app, Order) == 0
    assert count(app, SandboxPayment) == 0


def test_bad_value_is_shown_back_and_marked_invalid(client: FlaskClient) -> None:
    page = post_checkout(client, amount="12,3456").get_data(as_text=True)
    assert 'value="12,3456"' in page
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="amount"', page)


def test_valid_fields_carry_no_error(client: FlaskClient) -> None:
    page = post_checkout(client, amount="abc").get_data(as_text=True)
    assert field_error(page, "site_login") == ""
    assert field_error(page, "currency") == ""


@pytest.mark.parametrize("app_overrides", [{"CHECKOUT_MAX_AMOUNT": "100"}])
def test_configured_maximum_is_enforced(app: Flask, client: FlaskClient) -> None:
    response = post_checkout(client, amount="100.01")
    assert response.status_code == 422
    message = field_error(response.get_data(as_text=True), "amount")
    assert message == f"The amount must not exceed KZT{NBSP}100.00."
    assert count(app, Order) == 0


@pytest.mark.parametrize("app_overrides", [{"CHECKOUT_MAX_AMOUNTS": ["KZT=500", "IDR=70000"]}])
@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("500.01", "KZT", f"The amount must not exceed KZT{NBSP}500.00."),
        ("70000.01", "IDR", f"The amount must not exceed IDR{NBSP}70,000.00."),
    ],
)
def test_per_currency_maximum_overrides_the_default(
    app: Flask, client: FlaskClient, amount: str, currency: str, message: str
) -> None:
    response = post_checkout(client, amount=amount, currency=currency)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "amount") == message
    assert count(app, Order) == 0


@pytest.mark.parametrize("app_overrides", [{"CHECKOUT_MAX_AMOUNTS": ["KZT=500"]}])
def test_per_currency_maximum_leaves_other_currencies_alone(
    app: Flask, client: FlaskClient
) -> None:
    assert post_checkout(client, amount="600.00", currency="USD").status_code == 303
    assert only_order(app).amount == 60000


@pytest.mark.parametrize("app_overrides", [{"CHECKOUT_CURRENCIES": ["KZT", "JPY"]}])
def test_a_currency_without_minor_units_takes_whole_numbers(
    app: Flask, client: FlaskClient
) -> None:
    response = post_checkout(client, amount="1.5", currency="JPY")
    message = field_error(response.get_data(as_text=True), "amount")
    assert message == "JPY has no minor units: enter a whole number."
    assert post_checkout(client, amount="1500", currency="JPY").status_code == 303
    assert sent_params(app)["amount"] == 1500


def test_surrounding_spaces_in_the_amount_are_fine(app: Flask, client: FlaskClient) -> None:
    response = post_checkout(client, amount="  90.00 ")
    assert response.status_code == 303
    assert only_order(app).amount == 9000
    assert sent_params(app)["amount"] == 9000


def test_comma_is_a_decimal_separator(app: Flask, client: FlaskClient) -> None:
    assert post_checkout(client, amount="90,50").status_code == 303
    assert only_order(app).amount == 9050


def test_login_is_trimmed(app: Flask, client: FlaskClient) -> None:
    assert post_checkout(client, site_login="  alice  ").status_code == 303
    assert only_order(app).site_login == "alice"


def test_login_of_64_characters_is_accepted(app: Flask, client: FlaskClient) -> None:
    assert post_checkout(client, site_login="a" * 64).status_code == 303
    assert only_order(app).site_login == "a" * 64


def test_empty_method_lets_the_customer_choose_on_the_gateway(
    app: Flask, client: FlaskClient
) -> None:
    assert post_checkout(client, method="").status_code == 303
    assert only_order(app).method is None
    assert "method" not in sent_params(app)


def test_customer_type_in_the_form_is_ignored(app: Flask, client: FlaskClient) -> None:
    assert post_checkout(client, customer_type="trust").status_code == 303
    assert only_order(app).customer_type == "regular"
    assert sent_params(app)["customer_type"] == "regular"


@pytest.mark.parametrize("login", ["vip", "admin", "trust", "merchant"])
def test_no_typed_login_makes_an_order_trusted(app: Flask, client: FlaskClient, login: str) -> None:
    assert post_checkout(client, site_login=login).status_code == 303
    assert only_order(app).customer_type == "regular"
    assert sent_params(app)["customer_type"] == "regular"


@pytest.mark.parametrize("app_overrides", [{"CUSTOMER_TYPE": "trust"}])
def test_merchant_policy_may_trust_everyone(app: Flask, client: FlaskClient) -> None:
    assert post_checkout(client, customer_type="regular").status_code == 303
    assert only_order(app).customer_type == "trust"


def test_the_order_carries_the_customer_type_its_caller_decided(app: Flask) -> None:
    """The seam for the merchant's server (Checkouts API): trust is the caller's to give."""
    details = CheckoutDetails(
        amount=9000,
        currency="KZT",
        method="card",
        language="EN",
        bank_app=None,
        site_login="alice",
        customer_type="trust",
    )
    with app.test_request_context():
        order, created = create_order(details, "k" * 64)
        assert (created, order.customer_type) == (True, "trust")
        assert token_request_for(order).customer_type == "trust"


def test_bank_app_is_dropped_for_methods_that_do_not_use_one(
    app: Flask, client: FlaskClient
) -> None:
    assert post_checkout(client, method="card", bank_app="sberbank").status_code == 303
    assert only_order(app).bank_app is None
    assert "additional_fields" not in sent_params(app)


@pytest.mark.parametrize("method", ["cis_transfer", "cis_transfer_card"])
def test_bank_app_is_sent_for_cis_transfers(app: Flask, client: FlaskClient, method: str) -> None:
    assert post_checkout(client, method=method, bank_app="tbank").status_code == 303
    assert only_order(app).bank_app == "tbank"
    assert sent_params(app)["additional_fields"] == {"bank_app": "tbank"}


@pytest.mark.parametrize("token", ["", "short", "x" * 65, "not a token!!!!!!!!!"])
def test_tampered_submission_token_is_refused(app: Flask, client: FlaskClient, token: str) -> None:
    response = post_checkout(client, submission_token=token)
    assert response.status_code == 422
    assert "This form is out of date" in response.get_data(as_text=True)
    assert count(app, Order) == 0


def test_valid_values_are_only_had_from_a_validated_form(app: Flask) -> None:
    from checkout.forms import CheckoutForm

    with app.test_request_context("/", method="POST", data={"amount": "10"}):
        form = CheckoutForm(meta={"csrf": False})
        with pytest.raises(RuntimeError, match="validate"):
            form.valid_values()

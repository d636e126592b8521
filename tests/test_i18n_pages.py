"""Every page of ours in every language: no English left over, amounts in the locale's format.

Each page is rendered twice in the same app — in English and in the language under test —
and every piece of text a person reads (text, titles, labels, hints, options, messages)
that came out the same in both is a leftover, unless it is a name that reads the same in
every language. That catches a string never marked for translation, one missing from a
catalogue, and a catalogue not compiled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from checkout.extensions import db
from checkout.models import Checkout, utcnow
from tests.support.apps import close_app, make_app
from tests.support.checkout import alert, checkout_data, field_error
from tests.support.fake_gateway import FakeGateway, Reply, fake_gateway
from tests.support.i18n import TRANSLATED, client_in, html_lang, untranslated
from tests.support.orders import make_order

NBSP = "\u00a0"

Page = Callable[[FlaskClient, dict[str, str]], TestResponse]


def refused_form(**fields: str) -> Page:
    """Return a page builder that posts the checkout form with `fields` changed."""

    def post(client: FlaskClient, _orders: dict[str, str]) -> TestResponse:
        form = client.get("/").get_data(as_text=True)
        return client.post("/", data=checkout_data(form, **fields))

    return post


def get(path: str) -> Page:
    """Return a page builder that opens `path`, with `{name}` standing for an order's id."""
    return lambda client, orders: client.get(path.format(**orders))


PAGES: dict[str, tuple[Page, int]] = {
    "checkout form": (get("/"), 200),
    "refused form, empty fields": (
        refused_form(amount="", method="cis_transfer", bank_app="", site_login=""),
        422,
    ),
    "refused form, too many decimals and a long login": (
        refused_form(amount="90.001", site_login="a" * 65),
        422,
    ),
    "refused form, too many decimals for IDR and an unprintable login": (
        refused_form(amount="1.505", currency="IDR", site_login="alice\x07"),
        422,
    ),
    "refused form, over the limit and unknown choices": (
        refused_form(amount="1000000.01", method="bitcoin", language="DE", bank_app="x"),
        422,
    ),
    "refused form, unknown currency": (refused_form(currency="XYZ"), 422),
    "refused form, out of date": (refused_form(submission_token="short"), 422),
    "payment page": (get("/pay/{pending}"), 200),
    "payment page, form not ready": (get("/pay/{keyless}"), 200),
    "order created": (get("/orders/{created}"), 200),
    "order pending": (get("/orders/{pending}"), 200),
    "order paid": (get("/orders/{paid}/success"), 200),
    "order failed": (get("/orders/{failed}/fail"), 200),
    "order expired": (get("/orders/{expired}"), 200),
    "unknown page": (get("/no-such-page"), 404),
    "unknown order": (get("/orders/no-such-order"), 404),
    "wrong method": (lambda client, _orders: client.delete("/"), 405),
    "too large": (lambda client, _orders: client.post("/", data={"amount": "9" * 1_100_000}), 413),
    "merchant's checkout": (get("/c/{checkout}"), 200),
    "merchant's checkout, refused": (
        lambda client, orders: client.post(
            f"/c/{orders['checkout']}",
            data=checkout_data(
                client.get(f"/c/{orders['checkout']}").get_data(as_text=True), amount=""
            ),
        ),
        422,
    ),
    "merchant's checkout, paid": (get("/c/{paid_checkout}"), 200),
    "merchant's checkout, expired": (get("/c/{expired_checkout}"), 410),
    "unknown checkout": (get("/c/no-such-checkout"), 404),
    "order of a merchant's checkout, failed": (get("/orders/{checkout_order}"), 200),
}


ORDER_STATES = ("created", "pending", "paid", "failed", "expired")


@pytest.fixture
def orders(app: Flask) -> dict[str, str]:
    """Create an order in each state; return their request_ids by name."""
    with app.app_context():
        made = {status: make_order(status=status) for status in ORDER_STATES}
        made["keyless"] = make_order(status="pending", gateway_key=None)
        checkouts = {
            name: make_checkout(status=status)
            for name, status in [
                ("checkout", "open"),
                ("paid_checkout", "paid"),
                ("expired_checkout", "expired"),
            ]
        }
        made["checkout_order"] = make_order(status="failed", checkout_id=checkouts["checkout"].id)
        checkouts["paid_checkout"].paid_request_id = made["paid"].request_id
        db.session.commit()
    ids = {name: order.request_id for name, order in made.items()}
    # The login is the customer's own word, the same in every language.
    return {**ids, **{name: row.public_id for name, row in checkouts.items()}, "login": "alice"}


def make_checkout(status: str) -> Checkout:
    """Create a merchant's checkout (amount left to the customer) in a given state."""
    checkout = Checkout(
        site_login="alice",
        currency="KZT",
        customer_type="regular",
        return_url="https://shop.example/",
        status=status,
        expires_at=utcnow() + timedelta(hours=1),
    )
    db.session.add(checkout)
    db.session.commit()
    return checkout


@pytest.mark.parametrize("locale", TRANSLATED)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_nothing_left_in_english(
    app: Flask, orders: dict[str, str], name: str, locale: str
) -> None:
    build, status = PAGES[name]
    english = build(client_in(app, "en"), orders)
    response = build(client_in(app, locale), orders)
    assert (english.status_code, response.status_code) == (status, status)
    page = response.get_data(as_text=True)
    assert html_lang(page) == locale
    leftovers = untranslated(page, english.get_data(as_text=True), locale, orders.values())
    assert leftovers == set()


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
@pytest.mark.parametrize("locale", TRANSLATED)
def test_expired_form_page_is_translated(app: Flask, locale: str) -> None:
    english = client_in(app, "en").post("/", data={"amount": "90.00"})
    response = client_in(app, locale).post("/", data={"amount": "90.00"})
    assert (english.status_code, response.status_code) == (400, 400)
    page = response.get_data(as_text=True)
    assert untranslated(page, english.get_data(as_text=True), locale) == set()


@pytest.mark.parametrize(
    "app_overrides", [{"RATELIMIT_ENABLED": True, "CHECKOUT_RATE_LIMIT": "1 per minute"}]
)
@pytest.mark.parametrize("locale", TRANSLATED)
def test_rate_limit_page_is_translated(app: Flask, locale: str) -> None:
    english_client = client_in(app, "en")
    english_client.post("/", data={})
    english = english_client.post("/", data={})
    # Same client address: the limit is already used up for the second visitor.
    response = client_in(app, locale).post("/", data={})
    assert (english.status_code, response.status_code) == (429, 429)
    page = response.get_data(as_text=True)
    assert untranslated(page, english.get_data(as_text=True), locale) == set()


@pytest.mark.parametrize("locale", TRANSLATED)
def test_reused_form_message_is_translated(app: Flask, locale: str) -> None:
    def conflict(client: FlaskClient) -> TestResponse:
        data = checkout_data(client.get("/").get_data(as_text=True))
        assert client.post("/", data=data).status_code == 303
        return client.post("/", data={**data, "amount": "95.00"})

    english, response = conflict(client_in(app, "en")), conflict(client_in(app, locale))
    assert (english.status_code, response.status_code) == (409, 409)
    page = response.get_data(as_text=True)
    assert untranslated(page, english.get_data(as_text=True), locale) == set()


@pytest.fixture
def refusing_gateway() -> Iterator[FakeGateway]:
    with fake_gateway(Reply(status=400, json={"error": "bad amount"})) as server:
        yield server


@pytest.fixture
def refused_app(sqlite_url: str, refusing_gateway: FakeGateway) -> Iterator[Flask]:
    app = make_app(sqlite_url, GATEWAY_BASE_URL=refusing_gateway.url)
    yield app
    close_app(app)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_gateway_refusal_is_translated(refused_app: Flask, locale: str) -> None:
    def refused(client: FlaskClient) -> TestResponse:
        return client.post("/", data=checkout_data(client.get("/").get_data(as_text=True)))

    english = refused(client_in(refused_app, "en"))
    response = refused(client_in(refused_app, locale))
    assert (english.status_code, response.status_code) == (502, 502)
    page = response.get_data(as_text=True)
    assert untranslated(page, english.get_data(as_text=True), locale) == set()


def test_gateway_refusal_reads_in_russian(refused_app: Flask) -> None:
    client = client_in(refused_app, "ru")
    response = client.post("/", data=checkout_data(client.get("/").get_data(as_text=True)))
    assert alert(response.get_data(as_text=True)) == (
        "Платёжный сервис отклонил этот платёж. Проверьте данные или попробуйте позже."
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": ""}, "Введите сумму."),
        ({"amount": "-5"}, "Сумма должна быть больше нуля."),
        ({"amount": "90.001"}, "Для KZT допускается не более 2 знаков после запятой."),
        (
            {"amount": "1.2345", "currency": "EUR"},
            "Для EUR допускается не более 2 знаков после запятой.",
        ),
        (
            {"amount": "1.505", "currency": "IDR"},
            "Для IDR допускается не более 2 знаков после запятой.",
        ),
        (
            {"amount": "1000000.01"},
            f"Сумма не должна превышать 1{NBSP}000{NBSP}000,00{NBSP}KZT.",
        ),
    ],
)
def test_amount_messages_read_in_russian_with_exact_amounts(
    app: Flask, fields: dict[str, str], message: str
) -> None:
    client = client_in(app, "ru")
    response = client.post(
        "/", data=checkout_data(client.get("/").get_data(as_text=True), **fields)
    )
    assert field_error(response.get_data(as_text=True), "amount") == message


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("ru", "Логин может содержать не более 64 символов."),
        ("uk", "Логін може містити щонайбільше 64 символи."),
        ("kk", "Логин 64 таңбадан аспауы керек."),
        ("az", "Loqin ən çoxu 64 simvol ola bilər."),
    ],
)
def test_login_length_message_uses_the_languages_plural(
    app: Flask, locale: str, message: str
) -> None:
    client = client_in(app, locale)
    page = client.get("/").get_data(as_text=True)
    response = client.post("/", data=checkout_data(page, site_login="a" * 65))
    assert field_error(response.get_data(as_text=True), "site_login") == message


@pytest.mark.parametrize(
    ("locale", "minor", "currency", "shown"),
    [
        ("en", 9000, "KZT", f"KZT{NBSP}90.00"),
        ("ru", 9000, "KZT", f"90,00{NBSP}KZT"),
        ("kk", 9000, "KZT", f"90,00{NBSP}₸"),
        ("uk", 9000, "KZT", f"90,00{NBSP}KZT"),
        ("az", 9000, "KZT", f"90,00{NBSP}KZT"),
        ("ru", 123456789, "RUB", f"1{NBSP}234{NBSP}567,89{NBSP}₽"),
        ("uk", 9050, "UAH", f"90,50{NBSP}₴"),
        ("az", 123456, "AZN", f"1.234,56{NBSP}₼"),
        ("en", 123456, "USD", "$1,234.56"),
        ("ru", 9000, "IDR", f"90,00{NBSP}IDR"),
    ],
)
def test_order_amount_is_formatted_for_the_locale(
    app: Flask, locale: str, minor: int, currency: str, shown: str
) -> None:
    with app.app_context():
        order = make_order(status="paid", amount=minor, currency=currency)
    page = client_in(app, locale).get(f"/orders/{order.request_id}").get_data(as_text=True)
    assert f"<dd>{shown}</dd>" in page


@pytest.mark.parametrize("app_overrides", [{"OPEN_CHECKOUT": False}])
@pytest.mark.parametrize("locale", TRANSLATED)
def test_closed_open_form_page_is_translated(app: Flask, locale: str) -> None:
    english = app.test_client().get("/?lang=en")
    response = app.test_client().get(f"/?lang={locale}")
    assert (english.status_code, response.status_code) == (404, 404)
    page = response.get_data(as_text=True)
    assert html_lang(page) == locale
    assert untranslated(page, english.get_data(as_text=True), locale) == set()

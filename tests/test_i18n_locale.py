"""Which language a page speaks: ?lang=, the switcher (remembered), Accept-Language, English.

And what follows from it: the gateway's form opens in the same language unless the
customer picks another, and the cached blank form is one page per language.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import select

from checkout.extensions import db
from checkout.sandbox.models import SandboxPayment
from tests.support.admin import CREDENTIALS
from tests.support.checkout import checkout_data
from tests.support.i18n import GATEWAY_CODES, LOCALES, client_in, html_lang
from tests.support.orders import make_order

SWITCHER = re.compile(r'<nav class="lang-switch" aria-label="[^"]+">(.*?)</nav>', re.S)
SWITCHER_LINK = re.compile(r'<a href="([^"]+)" lang="([^"]+)"[^>]*>([^<]+)</a>')
SELECTED_LANGUAGE = re.compile(
    r'<select id="language"[^>]*>.*?<option selected value="(\w+)"', re.S
)


def lang_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return html_lang(response.get_data(as_text=True))


def switcher_links(page: str) -> dict[str, str]:
    """Return the switcher's links by the language they lead to."""
    match = SWITCHER.search(page)
    assert match, "no language switcher on the page"
    return {lang: href.replace("&amp;", "&") for href, lang, _name in SWITCHER_LINK.findall(page)}


def current_language_in_switcher(page: str) -> str:
    """Return the language the switcher marks as the current one."""
    found = re.findall(r'<a [^>]*lang="(\w+)"[^>]*aria-current="true"', SWITCHER.search(page)[1])
    assert len(found) == 1, found
    return found[0]


def gateway_language_sent(app: Flask) -> str:
    """Return the `language` the (sandbox) gateway received with the one payment."""
    with app.app_context():
        payments = db.session.scalars(select(SandboxPayment)).all()
        assert len(payments) == 1
        return payments[0].params.get("language")


# --- choosing the language ---------------------------------------------------------------


def test_english_when_nothing_says_otherwise(client: FlaskClient) -> None:
    assert lang_of(client.get("/")) == "en"


@pytest.mark.parametrize("locale", LOCALES)
def test_query_picks_the_language(client: FlaskClient, locale: str) -> None:
    assert lang_of(client.get(f"/?lang={locale}")) == locale


def test_query_choice_is_remembered_on_the_next_pages(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        order = make_order(status="pending")
    client.get("/?lang=kk")
    assert lang_of(client.get(f"/orders/{order.request_id}")) == "kk"
    assert lang_of(client.get("/")) == "kk"


def test_a_later_query_replaces_the_remembered_choice(client: FlaskClient) -> None:
    client.get("/?lang=uk")
    client.get("/?lang=az")
    assert lang_of(client.get("/")) == "az"


@pytest.mark.parametrize(
    ("accept_language", "locale"),
    [
        ("ru-RU,ru;q=0.9,en-US;q=0.8", "ru"),
        ("kk-KZ,kk;q=0.9", "kk"),
        ("uk", "uk"),
        ("az-AZ", "az"),
        ("de-DE,fr;q=0.9,uk;q=0.5", "uk"),
        ("en-GB,ru;q=0.5", "en"),
        ("de-DE,fr;q=0.9", "en"),
        ("", "en"),
    ],
)
def test_browser_language_is_the_fallback(
    client: FlaskClient, accept_language: str, locale: str
) -> None:
    response = client.get("/", headers={"Accept-Language": accept_language})
    assert lang_of(response) == locale


def test_page_chosen_by_browser_language_varies_on_it(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": "ru"})
    assert "Accept-Language" in response.headers.get("Vary", "")


def test_remembered_choice_beats_browser_language(client: FlaskClient) -> None:
    client.get("/?lang=uk")
    assert lang_of(client.get("/", headers={"Accept-Language": "ru"})) == "uk"


def test_query_beats_browser_language(client: FlaskClient) -> None:
    assert lang_of(client.get("/?lang=az", headers={"Accept-Language": "ru"})) == "az"


@pytest.mark.parametrize("value", ["xx", "", "de", "../../etc/passwd", "ru" * 40, "r\u0443"])
def test_unknown_query_language_is_ignored(client: FlaskClient, value: str) -> None:
    client.get("/?lang=uk")
    response = client.get("/", query_string={"lang": value})
    assert lang_of(response) == "uk"
    assert lang_of(client.get("/")) == "uk"


def test_unknown_query_language_falls_back_to_the_browser(client: FlaskClient) -> None:
    response = client.get("/?lang=xx", headers={"Accept-Language": "kk"})
    assert lang_of(response) == "kk"


@pytest.mark.parametrize("app_overrides", [CREDENTIALS])
def test_back_office_stays_english(client: FlaskClient) -> None:
    client.get("/?lang=ru")
    response = client.get("/admin/login?lang=kk", headers={"Accept-Language": "ru"})
    page = response.get_data(as_text=True)
    assert lang_of(response) == "en"
    assert "Sign in" in page


# --- the switcher --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/pay/{id}", "/orders/{id}", "/no-such-page"])
@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_offers_every_language_and_marks_its_own(
    app: Flask, locale: str, path: str
) -> None:
    with app.app_context():
        order = make_order(status="pending")
    client = client_in(app, locale)
    page = client.get(path.format(id=order.request_id)).get_data(as_text=True)
    assert set(switcher_links(page)) == set(LOCALES)
    assert current_language_in_switcher(page) == locale


@pytest.mark.parametrize("locale", LOCALES)
def test_switcher_link_changes_the_language_without_javascript(
    app: Flask, client: FlaskClient, locale: str
) -> None:
    with app.app_context():
        order = make_order(status="paid")
    here = f"http://localhost/orders/{order.request_id}"
    page = client.get(here, headers={"Accept-Language": "de"}).get_data(as_text=True)
    followed = client.get(urljoin(here, switcher_links(page)[locale]))
    assert lang_of(followed) == locale
    assert followed.request.path == f"/orders/{order.request_id}"
    # Remembered: the next page, with no ?lang=, is still in that language.
    assert lang_of(client.get("/", headers={"Accept-Language": "de"})) == locale


# --- the gateway's language ---------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_form_preselects_the_pages_language_for_the_gateway(app: Flask, locale: str) -> None:
    page = client_in(app, locale).get("/").get_data(as_text=True)
    assert SELECTED_LANGUAGE.search(page)[1] == GATEWAY_CODES[locale]


@pytest.mark.parametrize("locale", LOCALES)
def test_gateway_receives_the_pages_language_by_default(app: Flask, locale: str) -> None:
    client = client_in(app, locale)
    page = client.get("/").get_data(as_text=True)
    # Post the form as the browser would: with the language it shows selected.
    data = checkout_data(page, language=SELECTED_LANGUAGE.search(page)[1])
    assert client.post("/", data=data).status_code == 303
    assert gateway_language_sent(app) == GATEWAY_CODES[locale]


def test_gateway_receives_the_pages_language_when_the_field_is_missing(app: Flask) -> None:
    client = client_in(app, "kk")
    data = checkout_data(client.get("/").get_data(as_text=True))
    del data["language"]
    assert client.post("/", data=data).status_code == 303
    assert gateway_language_sent(app) == "KZ"


def test_customer_may_choose_another_gateway_language(app: Flask) -> None:
    client = client_in(app, "ru")
    data = checkout_data(client.get("/").get_data(as_text=True), language="AZ")
    assert client.post("/", data=data).status_code == 303
    assert gateway_language_sent(app) == "AZ"


# --- the cached blank form ------------------------------------------------------------------


def test_cached_form_of_one_language_is_not_served_in_another(app: Flask) -> None:
    russian = client_in(app, "ru").get("/").get_data(as_text=True)
    english = client_in(app, "en").get("/").get_data(as_text=True)
    assert (html_lang(russian), html_lang(english)) == ("ru", "en")
    assert (SELECTED_LANGUAGE.search(russian)[1], SELECTED_LANGUAGE.search(english)[1]) == (
        "RU",
        "EN",
    )
    assert "<h1>Оплата</h1>" in russian and "<h1>Checkout</h1>" in english


def test_blank_form_is_rendered_once_per_language(app: Flask) -> None:
    rendered: list[str] = []

    def record(_sender: Flask, template, context, **_extra) -> None:
        rendered.append(f"{template.name} {context['page_locale']}")

    with template_rendered.connected_to(record, app):
        clients = {locale: client_in(app, locale) for locale in ("ru", "en")}
        pages = [clients[locale].get("/") for locale in ("ru", "en", "ru", "en", "ru")]
    assert [lang_of(page) for page in pages] == ["ru", "en", "ru", "en", "ru"]
    assert rendered == ["checkout/form.html ru", "checkout/form.html en"]


def test_gateway_form_speaks_the_gateways_language_not_ours(app: Flask) -> None:
    client = client_in(app, "ru")
    data = checkout_data(client.get("/").get_data(as_text=True), language="EN")
    client.post("/", data=data)
    with app.app_context():
        key = db.session.scalars(select(SandboxPayment.key)).one()
    hosted = client.get(f"/sandbox/api/jsapi/open/{key}/?lang=kk")
    assert lang_of(hosted) == "en"
    # Nor did visiting the gateway's page change the language of ours.
    assert lang_of(client.get("/")) == "ru"

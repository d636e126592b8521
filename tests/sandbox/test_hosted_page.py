"""The sandbox's hosted form over HTTP: language, amount, method picker, bank instructions,
and clear pages for unknown and used keys."""

from __future__ import annotations

import html
import re

import pytest
import requests
from sqlalchemy import select

from checkout import catalogue
from checkout.extensions import db
from checkout.sandbox import scenarios, texts
from checkout.sandbox.models import SandboxPayment, SandboxState
from tests.sandbox.helpers import HTTP_TIMEOUT, open_form
from tests.support.checkout import checkout_data
from tests.support.i18n import client_in, html_lang

NBSP = "\xa0"


def get(url: str, **params: str) -> requests.Response:
    return requests.get(url, params=params, timeout=HTTP_TIMEOUT)


def radio_values(html: str, name: str) -> list[str]:
    return re.findall(rf'type="radio" name="{name}" value="([^"]+)"', html)


@pytest.mark.parametrize(
    ("language", "html_lang", "words"),
    [
        ("EN", "en", ["SANDBOX — no real money", "Amount to pay", "Pay KZT", "Decline"]),
        (
            "RU",
            "ru",
            ["ПЕСОЧНИЦА — без реальных денег", "Сумма к оплате", "Оплатить", "Отказаться"],
        ),
        ("KZ", "kk", ["ТЕСТ ШЛЮЗІ — нақты ақшасыз", "Төленетін сома", "Төлеу", "Бас тарту"]),
        (
            "UA",
            "uk",
            ["ПІСОЧНИЦЯ — без справжніх грошей", "Сума до сплати", "Оплатити", "Відмовитися"],
        ),
        ("AZ", "az", ["TEST MÜHİTİ — real pul yoxdur", "Ödəniləcək məbləğ", "Ödə", "İmtina et"]),
    ],
)
def test_the_page_speaks_the_requested_language(live_server, language, html_lang, words):
    url, _ = open_form(live_server, language=language)
    page = get(url)
    assert page.status_code == 200
    assert f'<html lang="{html_lang}">' in page.text
    for word in words:
        assert word in page.text


@pytest.mark.parametrize("language", ["IN", "ID"])
def test_an_untranslated_language_falls_back_to_english(live_server, language):
    url, _ = open_form(live_server, language=language)
    page = get(url).text
    assert '<html lang="en">' in page
    assert "SANDBOX — no real money" in page and "Amount to pay" in page
    assert "Оплатить" not in page


@pytest.mark.parametrize(
    ("language", "currency", "amount", "shown"),
    [
        ("EN", "KZT", 9000, f"KZT{NBSP}90.00"),
        ("RU", "RUB", 9000, f"90,00{NBSP}₽"),
        ("EN", "JPY", 9000, "¥9,000"),  # no minor units: 9000 is nine thousand yen
        ("EN", "USD", 123456, "$1,234.56"),
    ],
)
def test_the_amount_is_formatted_for_its_currency(live_server, language, currency, amount, shown):
    url, _ = open_form(live_server, language=language, currency=currency, amount=amount)
    assert f"<dd>{shown}</dd>" in get(url).text


@pytest.mark.parametrize(
    ("bank_app", "language", "instructions", "card"),
    [
        ("sberbank", "EN", "Open the SberBank Online app", "2202 2000 1234 5670"),
        ("tbank", "EN", "Open the T-Bank app", "2200 7000 1234 5671"),
        ("sberbank", "RU", "Откройте приложение СберБанк Онлайн", "2202 2000 1234 5670"),
        ("tbank", "RU", "Откройте приложение Т-Банк", "2200 7000 1234 5671"),
    ],
)
@pytest.mark.parametrize("method", ["cis_transfer", "cis_transfer_card"])
def test_a_transfer_shows_the_chosen_bank_apps_instructions(
    app, live_server, method, bank_app, language, instructions, card
):
    url, _ = open_form(
        live_server, method=method, language=language, additional_fields={"bank_app": bank_app}
    )
    page = html.unescape(get(url).text)
    assert instructions in page
    assert card in page
    other = "tbank" if bank_app == "sberbank" else "sberbank"
    with app.test_request_context(), texts.speaking(language):
        assert str(texts.BANK_STEPS[other][0]) not in page


@pytest.mark.parametrize("method", [method.code for method in catalogue.METHODS])
def test_a_preselected_method_shows_its_hint_and_cannot_be_changed(app, live_server, method):
    extra = {"additional_fields": {"bank_app": "tbank"}} if method.startswith("cis_") else {}
    url, _ = open_form(live_server, method=method, **extra)
    page = html.unescape(get(url).text)
    with app.test_request_context(), texts.speaking("EN"):
        assert str(texts.HINTS[method]) in page
        assert str(texts.METHODS[method]) in page
    assert radio_values(page, "method") == []
    assert "Change method" not in page


def test_every_method_bank_app_scenario_and_state_has_words():
    methods = {method.code for method in catalogue.METHODS}
    assert set(texts.METHODS) == set(texts.HINTS) == methods
    assert set(texts.BANK_APPS) == set(texts.BANK_STEPS) == set(catalogue.BankApp)
    assert set(texts.SCENARIOS) == set(scenarios.ON_THE_FORM)
    assert set(texts.STATES) == set(SandboxState) - {SandboxState.OPEN}
    assert set(texts.ERRORS) >= {"no_method", "no_bank_app", "bad_decision", "bad_scenario"}


def test_without_a_preselected_method_the_customer_picks_one(live_server):
    url, _ = open_form(live_server, method=None)
    page = get(url).text
    assert radio_values(page, "method") == [method.code for method in catalogue.METHODS]
    assert 'value="pay"' not in page  # nothing to pay with yet
    assert 'value="decline"' in page  # but the customer may walk away


def test_a_picked_method_leads_to_pay_with_its_hint(live_server):
    url, _ = open_form(live_server, method=None)
    page = html.unescape(get(url, step="method", method="sbp").text)
    assert "Scan the QR code in your bank's app to pay through SBP." in page
    assert 'name="decision" value="pay"' in page
    assert "Change method" in page


@pytest.mark.parametrize("method", ["cis_transfer", "cis_transfer_card"])
def test_a_picked_transfer_asks_for_the_bank_app_first(live_server, method):
    url, _ = open_form(live_server, method=None)
    page = get(url, step="method", method=method).text
    assert radio_values(page, "bank_app") == ["sberbank", "tbank"]
    assert 'value="pay"' not in page


@pytest.mark.parametrize(
    ("bank_app", "instructions"),
    [("sberbank", "Open the SberBank Online app"), ("tbank", "Open the T-Bank app")],
)
def test_a_picked_bank_app_shows_its_instructions(live_server, bank_app, instructions):
    url, _ = open_form(live_server, method=None)
    page = get(url, step="bank_app", method="cis_transfer", bank_app=bank_app).text
    assert instructions in page
    assert "I have made the transfer" in page
    assert f'type="hidden" name="bank_app" value="{bank_app}"' in page


def test_a_bank_app_the_merchant_sent_skips_the_bank_step(live_server):
    url, _ = open_form(live_server, method=None, additional_fields={"bank_app": "sberbank"})
    page = get(url, step="method", method="cis_transfer_card").text
    assert "Open the SberBank Online app" in page
    assert radio_values(page, "bank_app") == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"step": "method"}, "Сначала выберите способ оплаты."),
        ({"step": "method", "method": "bitcoin"}, "Сначала выберите способ оплаты."),
        ({"step": "bank_app", "method": "cis_transfer"}, "Сначала выберите приложение банка."),
        ({"method": "cis_transfer", "bank_app": "alfa"}, "Сначала выберите приложение банка."),
    ],
)
def test_a_step_submitted_without_an_answer_says_so_in_the_payments_language(
    live_server, params, message
):
    url, _ = open_form(live_server, method=None, language="RU")
    page = get(url, **params)
    assert page.status_code == 422
    assert f'<p class="gw-error" role="alert">{message}</p>' in page.text


def test_pay_without_a_bank_app_is_refused_in_the_payments_language(live_server):
    url, _ = open_form(live_server, method=None, language="RU")
    answer = requests.post(
        url,
        data={"decision": "pay", "method": "cis_transfer"},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 422
    assert "Сначала выберите приложение банка." in answer.text
    assert get(url).status_code == 200  # still open: nothing was decided


def test_step_forms_stay_in_the_frame_and_decisions_leave_it(live_server):
    """Picking a method or bank app reloads the iframe; Pay and Decline go to the top window."""
    url, _ = open_form(live_server, method=None)
    pages = [
        get(url).text,
        get(url, step="method", method="cis_transfer").text,
        get(url, step="bank_app", method="cis_transfer", bank_app="tbank").text,
    ]
    tags = [tag for page in pages for tag in re.findall(r"<form [^>]*>", page)]
    steps = [tag for tag in tags if 'method="get"' in tag]
    decisions = [tag for tag in tags if 'method="post"' in tag]
    assert (len(steps), len(decisions)) == (2, 3)
    assert all("target=" not in tag for tag in steps)
    assert all('target="_top"' in tag for tag in decisions)


@pytest.mark.parametrize(
    ("accept_language", "lang", "heading"),
    [
        (None, "en", "Payment link not found"),
        ("ru-RU,ru;q=0.9,en;q=0.5", "ru", "Ссылка на оплату не найдена"),
        ("kk-KZ", "kk", "Төлем сілтемесі табылмады"),
        ("hi-IN", "en", "Payment link not found"),
        ("en-GB,ru;q=0.5", "en", "Payment link not found"),
    ],
)
def test_an_unknown_key_gets_a_clear_sandbox_page(live_server, accept_language, lang, heading):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = requests.get(
        live_server.url + "/sandbox/api/jsapi/open/no-such-key/",
        headers=headers,
        timeout=HTTP_TIMEOUT,
    )
    assert page.status_code == 404
    assert f'<html lang="{lang}">' in page.text
    assert f'<h1 class="gw-title">{heading}</h1>' in page.text
    assert 'class="gw-marker"' in page.text
    assert "/sandbox/static/sandbox.css" in page.text
    assert "Back to checkout" not in page.text  # the gateway's page, not the merchant's


@pytest.mark.parametrize(
    ("language", "decision", "heading", "outcome", "back_to"),
    [
        ("EN", "pay", "already been used", "The payment was made.", "success"),
        ("RU", "decline", "уже использована", "Оплата отклонена.", "fail"),
        ("KZ", "decline", "бұрын пайдаланылған", "Төлем қабылданбады.", "fail"),
        ("ID", "decline", "already been used", "The payment was declined.", "fail"),
    ],
)
def test_a_used_key_gets_a_clear_page_in_the_payments_language(
    live_server, language, decision, heading, outcome, back_to
):
    url, body = open_form(live_server, language=language)
    requests.post(url, data={"decision": decision}, allow_redirects=False, timeout=HTTP_TIMEOUT)
    page = get(url)
    assert page.status_code == 410
    assert heading in page.text
    assert outcome in page.text
    assert f'href="{body[f"{back_to}_url"]}" target="_top"' in page.text


def test_the_page_uses_only_its_own_assets(live_server):
    url, _ = open_form(live_server, method=None)
    page = get(url).text
    assets = re.findall(r'(?:href|src)="([^"]+\.(?:css|svg|js|png|woff2?))"', page)
    assert assets and all(asset.startswith("/sandbox/static/") for asset in assets)
    css = get(live_server.url + "/sandbox/static/sandbox.css").text
    assert "@import" not in css and "url(" not in css


def test_the_form_speaks_the_gateways_language_not_our_pages(app) -> None:
    client = client_in(app, "ru")
    data = checkout_data(client.get("/").get_data(as_text=True), language="EN")
    client.post("/", data=data)
    with app.app_context():
        key = db.session.scalars(select(SandboxPayment.key)).one()
    hosted = client.get(f"/sandbox/api/jsapi/open/{key}/?lang=kk")
    assert html_lang(hosted.get_data(as_text=True)) == "en"
    # Nor did visiting the gateway's page change the language of ours.
    assert html_lang(client.get("/").get_data(as_text=True)) == "ru"

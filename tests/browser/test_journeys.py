"""The customer's journey in a real Chromium: form, the gateway's form in its iframe, and
back to our order page, against the app on a real port with its embedded sandbox."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE
from tests.browser.journey import (
    DECLINE,
    PAY,
    CallbackGate,
    fill_checkout,
    gateway_form,
    order_url,
    scroll_overflow,
    start_payment,
)
from tests.support.live import LiveServer


@pytest.fixture
def gate(site: LiveServer) -> Iterator[CallbackGate]:
    """Route the sandbox's callbacks through a gate the test opens."""
    gate = CallbackGate(site.url + "/callback")
    site.app.config["SANDBOX_CALLBACK_URL"] = gate.url
    yield gate
    gate.close()


def test_paid_order_shows_itself_paid_without_a_reload(
    site: LiveServer, page: Page, gate: CallbackGate
) -> None:
    request_id = start_payment(page, site.url, method="card")

    gateway_form(page).locator(PAY).click()

    # Back on our site, at the top level, before the gateway's callback has come in...
    expect(page).to_have_url(order_url(site.url, request_id))
    expect(page.get_by_role("heading", name="Confirming your payment…")).to_be_visible()
    assert gate.arrived.wait(5), "the sandbox sent no callback"
    # ...and the page turns to "paid" by itself once it has.
    gate.open()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()
    expect(page).to_have_url(order_url(site.url, request_id))
    expect(page.locator("iframe")).to_have_count(0)
    assert page.main_frame.child_frames == []


def test_declined_payment_shows_the_failed_view(site: LiveServer, page: Page) -> None:
    request_id = start_payment(page, site.url, method="card")

    gateway_form(page).locator(DECLINE).click()

    expect(page.get_by_role("heading", name="Payment failed")).to_be_visible()
    expect(page).to_have_url(order_url(site.url, request_id))
    expect(page.get_by_role("link", name="Try again")).to_be_visible()


def test_bank_app_choice_appears_only_for_cis_transfers(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/")
    bank_app = page.get_by_label("Bank app")
    expect(bank_app).to_be_hidden()

    page.get_by_label("Payment method").select_option("cis_transfer")
    expect(bank_app).to_be_visible()

    page.get_by_label("Payment method").select_option("card")
    expect(bank_app).to_be_hidden()


def test_tbank_transfer_shows_tbank_instructions_in_the_iframe(
    site: LiveServer, page: Page
) -> None:
    start_payment(page, site.url, method="cis_transfer", bank_app="tbank")

    form = gateway_form(page)
    expect(form.get_by_role("heading", name=re.compile("T-Bank"))).to_be_visible()
    expect(form.get_by_text("Open the T-Bank app")).to_be_visible()
    expect(form.get_by_text("Sberbank")).to_have_count(0)


def test_russian_language_opens_the_gateway_form_in_russian(site: LiveServer, page: Page) -> None:
    start_payment(page, site.url, method="card", language="RU")

    form = gateway_form(page)
    expect(form.locator("html")).to_have_attribute("lang", "ru")
    expect(form.locator(PAY)).to_contain_text("Оплатить")
    expect(form.locator(DECLINE)).to_have_text("Отказаться")


def test_redirect_mode_sends_the_customer_to_the_hosted_page_and_back(
    start_site: Callable[..., LiveServer], page: Page
) -> None:
    site = start_site(SANDBOX_REDIRECT=True)
    page.goto(site.url + "/")
    fill_checkout(page, method="card")

    page.get_by_role("button", name="Continue to payment").click()

    # The gateway's page fills the whole window: no iframe, no page of ours around it.
    page.wait_for_url(re.compile(re.escape(site.url) + r"/sandbox/api/jsapi/open/[\w-]+/$"))
    assert page.main_frame.child_frames == []
    page.locator(PAY).click()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(site.url) + r"/orders/[\w-]+(/success)?$"))


def test_redirect_to_an_allowed_gateway_host_is_not_blocked_by_our_csp(
    start_site: Callable[..., LiveServer], page: Page
) -> None:
    # The sandbox's hosted form, reached under another name of the same server, stands for
    # a gateway page on a host of GATEWAY_ALLOWED_REDIRECT_HOSTS (e.g. pay.cactusgino.com).
    site = start_site(SANDBOX_REDIRECT=True)
    other_name = site.url.replace("127.0.0.1", "localhost")
    site.app.config["PUBLIC_BASE_URL"] = other_name  # where the sandbox's redirect_url points
    site.app.config["GATEWAY_ALLOWED_REDIRECT_HOSTS"] = [other_name.split("//")[1]]
    page.goto(site.url + "/")
    fill_checkout(page, method="card")

    page.get_by_role("button", name="Continue to payment").click()

    page.wait_for_url(re.compile(re.escape(other_name) + r"/sandbox/api/jsapi/open/[\w-]+/$"))
    page.locator(PAY).click()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()


def test_validation_error_shows_next_to_its_field_and_keeps_the_rest(
    site: LiveServer, page: Page
) -> None:
    page.goto(site.url + "/")
    fill_checkout(page, amount="ninety", currency="EUR", method="sbp", language="RU")

    page.get_by_role("button", name="Continue to payment").click()

    amount = page.get_by_label("Amount")
    error = page.locator("#amount-field .field-error")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_accessible_description(error.inner_text())
    expect(page.get_by_role("alert")).to_contain_text("correct the highlighted fields")
    expect(page.get_by_label("Currency")).to_have_value("EUR")
    expect(page.get_by_label("Payment method")).to_have_value("sbp")
    expect(page.get_by_label("Payment page language")).to_have_value("RU")
    expect(page.get_by_label("Your login")).to_have_value("alice")
    expect(amount).to_have_value("ninety")


def test_refused_form_puts_focus_on_the_first_field_to_fix(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/")
    fill_checkout(page, site_login="   ")

    page.get_by_role("button", name="Continue to payment").click()

    expect(page.get_by_label("Your login")).to_be_focused()


def test_keyboard_focus_is_visible(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/")
    amount = page.get_by_label("Amount")

    for _ in range(20):  # past the header's links, however many there are
        page.keyboard.press("Tab")
        if amount.evaluate("field => field === document.activeElement"):
            break

    expect(amount).to_be_focused()
    style, width = amount.evaluate(
        "field => [getComputedStyle(field).outlineStyle, getComputedStyle(field).outlineWidth]"
    )
    assert style != "none" and float(width.removesuffix("px")) >= 2, (style, width)


def test_phone_width_pages_never_scroll_sideways(
    site: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(PHONE)
    page.goto(site.url + "/")
    fill_checkout(page, method="cis_transfer", bank_app="sberbank")
    overflow = {"form": scroll_overflow(page)}

    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/pay/**")
    gateway_form(page).locator(PAY).wait_for()
    overflow["pay"] = scroll_overflow(page)
    gateway_form(page).locator(PAY).click()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()
    overflow["order"] = scroll_overflow(page)

    assert overflow == {"form": 0, "pay": 0, "order": 0}


def test_phone_width_gateway_form_fits_and_pay_is_clickable(
    site: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(PHONE)
    start_payment(page, site.url, method="card")
    pay = gateway_form(page).locator(PAY)
    pay.wait_for()

    frame = page.locator("iframe").bounding_box()
    assert 0 <= frame["x"] and frame["x"] + frame["width"] <= PHONE["width"], frame
    pay.scroll_into_view_if_needed()
    box = pay.bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], box
    inner = page.frames[1].evaluate("document.documentElement.scrollWidth - innerWidth")
    assert inner <= 0, f"the gateway's form scrolls sideways by {inner}px"
    pay.click(trial=True)  # Playwright's own check that a tap would land on the button


def test_journey_pages_log_no_errors(site: LiveServer, page: Page) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    start_payment(page, site.url, method="card")
    gateway_form(page).locator(PAY).click()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()

    assert errors == []

"""The merchant's side of the story in Chromium, at desktop and phone width: a deposit is
paid in the sandbox and credited once by the webhook; a declined one changes nothing; a
callback delivered three times credits once; and the waiting page works without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.sandbox.browser.journey import DECLINE, PAY, gateway_form, scroll_overflow
from tests.support.browser import DESKTOP, PHONE
from tests.support.live import LiveServer

VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def deposit_and_pay(page: Page, shop: LiveServer, amount: str, button: str = PAY) -> None:
    """Deposit from the shop, pay (or decline) on the checkout, and go back to the shop."""
    page.goto(shop.url + "/demo-shop/")
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Currency").select_option("KZT")
    page.get_by_role("button", name="Deposit").click()
    page.wait_for_url(re.compile(re.escape(shop.url) + r"/c/[a-z2-7]+$"))
    page.get_by_label("Payment method").select_option("card")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(re.compile(re.escape(shop.url) + r"/pay/[a-z2-7]+$"))
    gateway_form(page).locator(button).click()
    page.get_by_role("link", name="Back to the shop").click()
    page.wait_for_url(re.compile(re.escape(shop.url) + r"/demo-shop/deposits/[\w-]+$"))


def balances(page: Page) -> list[str]:
    return page.locator(".balance-amount").all_inner_texts()


@VIEWPORTS
def test_a_paid_deposit_is_credited_once(start_shop, open_page, viewport) -> None:
    shop = start_shop()
    page = open_page(viewport)
    deposit_and_pay(page, shop, "90.00")
    expect(page.get_by_role("heading", name="Deposit credited")).to_be_visible()
    assert balances(page) == ["KZT\u00a090.00"]
    assert scroll_overflow(page) <= 0
    for _ in range(2):
        page.reload()
        expect(page.get_by_role("heading", name="Deposit credited")).to_be_visible()
        assert balances(page) == ["KZT\u00a090.00"]
    page.get_by_role("link", name="Back to your account").click()
    assert balances(page) == ["KZT\u00a090.00"]
    expect(page.locator(".deposits li")).to_have_count(1)
    expect(page.locator(".webhooks li")).to_have_count(1)
    expect(page.locator(".webhooks li").first).to_contain_text("Signature verified")
    assert scroll_overflow(page) <= 0


@VIEWPORTS
def test_a_declined_deposit_fails_and_leaves_the_balance_unchanged(
    start_shop, open_page, viewport
) -> None:
    shop = start_shop()
    page = open_page(viewport)
    deposit_and_pay(page, shop, "90.00", button=DECLINE)
    expect(page.get_by_role("heading", name="Deposit failed")).to_be_visible()
    expect(page.get_by_text("Your balance is unchanged")).to_be_visible()
    assert balances(page) == []
    page.reload()
    assert balances(page) == []


@VIEWPORTS
def test_a_callback_delivered_three_times_credits_once(start_shop, open_page, viewport) -> None:
    shop = start_shop()
    page = open_page(viewport)
    deposit_and_pay(page, shop, "90.03")
    expect(page.get_by_role("heading", name="Deposit credited")).to_be_visible()
    shop.app.extensions["sandbox"].deliveries.wait(10)  # all three callbacks are in
    for _ in range(2):
        page.reload()
        assert balances(page) == ["KZT\u00a090.03"]


def test_the_waiting_page_turns_credited_in_place(start_shop, page) -> None:
    """The callback is delayed: the shop shows "waiting", then the credit, with no reload."""
    shop = start_shop(SANDBOX_SCENARIO_DELAY=2.0)
    deposit_and_pay(page, shop, "90.20")
    expect(page.get_by_role("heading", name="Waiting for confirmation…")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")
    expect(page.get_by_role("heading", name="Deposit credited")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    assert balances(page) == ["KZT\u00a090.20"]


def test_without_javascript_the_waiting_page_refreshes_itself(start_shop, browser) -> None:
    shop = start_shop(SANDBOX_SCENARIO_DELAY=1.0)
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(shop.url + "/demo-shop/")
        page.get_by_label("Amount").fill("90.20")
        page.get_by_role("button", name="Deposit").click()
        page.get_by_label("Payment method").select_option("card")
        page.get_by_role("button", name="Continue to payment").click()
        # Without JavaScript the customer opens the gateway's form in the whole window.
        page.get_by_role("link", name="Open the payment form in this window").click()
        page.locator(PAY).click()
        page.get_by_role("link", name="Back to the shop").click()
        expect(page.get_by_role("heading", name="Waiting for confirmation…")).to_be_visible()
        expect(page.get_by_role("heading", name="Deposit credited")).to_be_visible(timeout=15_000)
    finally:
        context.close()

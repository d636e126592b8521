"""A merchant's checkout in a real Chromium: created through the API over HTTP, paid end to
end in the sandbox, with the merchant's fixed values shown and impossible to change."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import Page, expect

from tests.browser.journey import PAY, gateway_form
from tests.support.api import AUTH, CHECKOUTS
from tests.support.live import LiveServer

RETURN_URL = "https://shop.example/wallet"


def create_checkout(site: LiveServer, **fields: object) -> dict:
    """Create a checkout as the merchant's server would: JSON over HTTP with the API key."""
    body = {
        "site_login": "alice",
        "amount": 9000,
        "currency": "KZT",
        "return_url": RETURN_URL,
        "metadata": {"user_id": 42},
        **fields,
    }
    answer = requests.post(site.url + CHECKOUTS, json=body, headers=AUTH, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_checkout_made_through_the_api_is_paid_end_to_end(site: LiveServer, page: Page) -> None:
    checkout = create_checkout(site)

    page.goto(checkout["url"])
    # What the merchant fixed is shown, not asked for.
    summary = page.locator("dl.fixed-values")
    expect(summary).to_contain_text("alice")
    expect(summary).to_contain_text("KZT\u00a090.00")
    page.get_by_label("Payment method").select_option("card")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(re.compile(re.escape(site.url) + r"/pay/[a-z2-7]+$"))
    request_id = page.url.rsplit("/", 1)[1]

    gateway_form(page).locator(PAY).click()

    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the shop")).to_have_attribute("href", RETURN_URL)
    order = requests.get(f"{site.url}/api/v1/orders/{request_id}", headers=AUTH, timeout=10)
    assert order.json()["status"] == "paid"
    assert order.json()["metadata"] == {"user_id": 42}
    page.goto(checkout["url"])
    expect(page.get_by_role("heading", name="Payment complete")).to_be_visible()


def test_fixed_fields_cannot_be_edited_nor_tampered_with(site: LiveServer, page: Page) -> None:
    checkout = create_checkout(site, method="card")
    page.goto(checkout["url"])

    # No field holds what the merchant fixed: there is nothing to edit.
    for name in ("site_login", "amount", "currency", "method"):
        expect(page.locator(f"[name={name}]")).to_have_count(0)
    expect(page.get_by_label("Payment page language")).to_be_editable()
    # A customer who adds the fields anyway (developer tools) changes nothing.
    page.evaluate(
        """() => {
            const form = document.querySelector("form.checkout-form");
            for (const [name, value] of [["site_login", "mallory"], ["amount", "1.00"],
                                          ["currency", "USD"], ["method", "sbp"],
                                          ["customer_type", "trust"]]) {
                const input = document.createElement("input");
                input.type = "hidden"; input.name = name; input.value = value;
                form.appendChild(input);
            }
        }"""
    )
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(re.compile(re.escape(site.url) + r"/pay/[a-z2-7]+$"))

    order = requests.get(
        f"{site.url}/api/v1/orders/{page.url.rsplit('/', 1)[1]}", headers=AUTH, timeout=10
    ).json()
    assert (order["site_login"], order["amount"], order["currency"]) == ("alice", 9000, "KZT")
    assert order["method"] == "card"

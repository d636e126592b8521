"""Deposits end to end over real HTTP, on both engines: the shop's form creates a checkout
through the Checkouts API, the customer pays in the sandbox, and the webhook — delivered by
the in-process worker to the shop's receiver — credits the balance exactly once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from checkout.demo_shop.models import Deposit, ReceivedWebhook
from checkout.expiry import expire_stale_orders
from checkout.extensions import db
from checkout.models import Checkout, IdempotencyKey
from checkout.webhooks import outbox
from checkout.webhooks import repository as webhook_events
from tests.demo_shop.helpers import (
    HTTP_TIMEOUT,
    deposit,
    deposit_form,
    make_shop_app,
    pay,
    post_deposit,
    serve_shop,
)
from tests.support.api import AUTH
from tests.support.fake_gateway import refused_url
from tests.support.live import LiveServer
from tests.support.wait import wait_for

BALANCE = re.compile(r'class="balance-amount">([^<]+)<')


@pytest.fixture
def shop(database_url: str) -> Iterator[LiveServer]:
    app = make_shop_app(database_url)
    server, stop = serve_shop(app)
    yield server
    stop()


@pytest.fixture
def user() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def the_deposit(shop: LiveServer) -> Deposit:
    with shop.app.app_context():
        return db.session.scalars(select(Deposit)).one()


def balances(session: requests.Session, shop: LiveServer) -> list[str]:
    page = session.get(shop.url + "/demo-shop/", timeout=HTTP_TIMEOUT).text
    return BALANCE.findall(page)


def deposit_status(shop: LiveServer, public_id: str) -> dict:
    url = f"{shop.url}/demo-shop/deposits/{public_id}/status"
    return requests.get(url, timeout=HTTP_TIMEOUT).json()


def settled(shop: LiveServer, public_id: str) -> dict:
    """Wait until the shop has heard how the deposit's payment ended."""
    return wait_for(
        lambda: (status := deposit_status(shop, public_id))["waiting"] is False and status
    )


def outcomes(shop: LiveServer) -> list[str]:
    """Return the type and outcome of each webhook the shop received, oldest first."""
    with shop.app.app_context():
        rows = db.session.scalars(select(ReceivedWebhook).order_by(ReceivedWebhook.id))
        return [f"{row.event_type}:{row.outcome}" for row in rows]


def handled(shop: LiveServer, count: int) -> list[str]:
    """Wait until the shop has received and handled `count` webhooks; return their outcomes."""

    def done() -> list[str] | None:
        found = outcomes(shop)
        finished = len(found) == count and not any(o.endswith(":received") for o in found)
        return found if finished else None

    return wait_for(done)


def test_a_deposit_creates_its_checkout_through_the_api(shop, user):
    url = deposit(user, shop.url, "90.00", "KZT")
    assert re.fullmatch(re.escape(shop.url) + r"/c/[a-z2-7]{26}", url)
    made = the_deposit(shop)
    assert (made.status, made.amount, made.currency) == ("open", 9000, "KZT")
    checkout = requests.get(
        f"{shop.url}/api/v1/checkouts/{made.checkout_id}", headers=AUTH, timeout=HTTP_TIMEOUT
    ).json()
    assert checkout["url"] == url
    assert (checkout["site_login"], checkout["amount"], checkout["currency"]) == (
        "demo-user",
        9000,
        "KZT",
    )
    assert checkout["return_url"] == f"{shop.url}/demo-shop/deposits/{made.public_id}"
    assert checkout["metadata"] == {"deposit": made.public_id}
    with shop.app.app_context():
        # It came through the API with the form's Idempotency-Key, like a merchant's server.
        key = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == made.form_key))
        assert key is not None


def test_the_checkout_url_names_the_host_the_user_reached(shop, user):
    """The API is called on 127.0.0.1:<listener port>; the user is sent to the public host."""
    shop.app.config["PUBLIC_BASE_URL"] = None  # as in development: URLs follow the Host
    fields = {**deposit_form(user, shop.url), "amount": "5", "currency": "KZT"}
    public = shop.url.replace("127.0.0.1", "localhost")
    answer = post_deposit(user, public, fields)
    assert answer.headers["Location"].startswith(public + "/c/")
    checkout = requests.get(
        f"{shop.url}/api/v1/checkouts/{the_deposit(shop).checkout_id}",
        headers=AUTH,
        timeout=HTTP_TIMEOUT,
    ).json()
    assert checkout["return_url"].startswith(public + "/demo-shop/deposits/")


def test_the_same_form_posted_twice_is_one_deposit_and_one_checkout(shop, user):
    fields = {**deposit_form(user, shop.url), "amount": "90.00", "currency": "KZT"}
    first = post_deposit(user, shop.url, fields)
    again = post_deposit(user, shop.url, fields)
    assert first.headers["Location"] == again.headers["Location"]
    with shop.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Deposit)) == 1
        assert db.session.scalar(select(func.count()).select_from(Checkout)) == 1


def test_the_same_form_with_another_amount_is_refused(shop, user):
    fields = {**deposit_form(user, shop.url), "amount": "90.00", "currency": "KZT"}
    post_deposit(user, shop.url, fields)
    changed = post_deposit(user, shop.url, {**fields, "amount": "91.00"})
    assert changed.status_code == 409
    assert "already sent with other details" in changed.text
    with shop.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Checkout)) == 1


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"amount": ""}, 422, "Enter an amount."),
        ({"amount": "1e3"}, 422, "Enter the amount as a plain number"),
        ({"amount": "-5"}, 422, "greater than zero"),
        ({"amount": "90.001"}, 422, "at most 2 digits"),
        ({"amount": "99999999999999999999999"}, 422, "must not exceed"),
        ({"currency": "XXX"}, 422, "Choose one of the currencies"),
        ({"currency": "\x00"}, 422, "Choose one of the currencies"),
        ({"form_key": "short"}, 422, "This form is out of date"),
        ({"form_key": "é" * 20}, 422, "This form is out of date"),
        ({"form_key": "x" * 65}, 422, "This form is out of date"),
    ],
)
def test_a_bad_form_is_refused_with_a_message_and_no_checkout(shop, user, fields, status, message):
    sent = {**deposit_form(user, shop.url), "amount": "90.00", "currency": "KZT", **fields}
    answer = post_deposit(user, shop.url, sent)
    assert answer.status_code == status
    assert message in answer.text
    with shop.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Checkout)) == 0


def test_an_api_out_of_reach_is_a_clear_502_and_the_form_can_be_sent_again(shop, user, monkeypatch):
    machinery = shop.app.extensions["demo_shop"]
    monkeypatch.setattr(machinery, "api_base_url", lambda: refused_url() + "/api/v1")
    fields = {**deposit_form(user, shop.url), "amount": "90.00", "currency": "KZT"}
    refused = post_deposit(user, shop.url, fields)
    assert refused.status_code == 502
    assert "We could not start your deposit: the Checkouts API could not be reached" in (
        refused.text
    )
    assert the_deposit(shop).status == "error"
    monkeypatch.undo()
    again = post_deposit(user, shop.url, fields)
    assert again.status_code == 303
    assert the_deposit(shop).status == "open"


def test_paid_deposit_is_credited_once_and_shown(shop, user):
    request_id, back = pay(user, deposit(user, shop.url, "90.00", "KZT"))
    assert back == f"{shop.url}/orders/{request_id}/success"
    made = the_deposit(shop)
    status = settled(shop, made.public_id)
    assert status == {
        "deposit": made.public_id,
        "status": "credited",
        "waiting": False,
        "credited": True,
    }
    assert balances(user, shop) == ["KZT\u00a090.00"]
    page = user.get(f"{shop.url}/demo-shop/deposits/{made.public_id}", timeout=HTTP_TIMEOUT)
    assert "Deposit credited" in page.text and "KZT\u00a090.00" in page.text
    assert outcomes(shop) == ["order.paid:credited"]


def test_the_order_page_leads_back_to_the_shop(shop, user):
    request_id, back = pay(user, deposit(user, shop.url, "90.00", "KZT"))
    page = user.get(back, timeout=HTTP_TIMEOUT).text
    made = the_deposit(shop)
    assert f'href="{shop.url}/demo-shop/deposits/{made.public_id}"' in page


def test_a_declined_deposit_fails_and_the_balance_is_unchanged(shop, user):
    request_id, back = pay(user, deposit(user, shop.url, "90.00", "KZT"), decision="decline")
    assert back.endswith("/fail")
    made = the_deposit(shop)
    assert settled(shop, made.public_id)["status"] == "failed"
    assert balances(user, shop) == []
    page = user.get(f"{shop.url}/demo-shop/deposits/{made.public_id}", timeout=HTTP_TIMEOUT).text
    assert "Deposit failed" in page and "Your balance is unchanged" in page
    assert "Try again" in page


def test_a_failed_deposit_paid_on_a_second_try_is_credited(shop, user):
    checkout_url = deposit(user, shop.url, "90.00", "KZT")
    pay(user, checkout_url, decision="decline")
    made = the_deposit(shop)
    settled(shop, made.public_id)
    pay(user, checkout_url)
    wait_for(lambda: deposit_status(shop, made.public_id)["credited"])
    assert balances(user, shop) == ["KZT\u00a090.00"]


def test_callback_delivered_three_times_credits_once(shop, user):
    pay(user, deposit(user, shop.url, "90.03", "KZT"))
    made = the_deposit(shop)
    wait_for(lambda: deposit_status(shop, made.public_id)["credited"])
    shop.app.extensions["sandbox"].deliveries.wait(10)
    assert balances(user, shop) == ["KZT\u00a090.03"]
    assert outcomes(shop) == ["order.paid:credited"]


def test_a_webhook_resent_under_its_webhook_id_credits_nothing_again(shop, user):
    pay(user, deposit(user, shop.url, "90.00", "KZT"))
    made = the_deposit(shop)
    wait_for(lambda: deposit_status(shop, made.public_id)["credited"])
    with shop.app.app_context():
        (event,) = webhook_events.first_events(webhook_events.EventFilter(), 1)

    def resent() -> bool:
        # The shop may have credited before the worker recorded the delivery and let go
        # of the event; a resend is refused until it has.
        with shop.app.app_context():
            try:
                outbox.resend(event.webhook_id)
            except outbox.EventBusy:
                return False
        return True

    wait_for(resent)
    assert handled(shop, 2) == ["order.paid:credited", "order.paid:duplicate"]
    assert balances(user, shop) == ["KZT\u00a090.00"]


def test_failure_after_success_keeps_the_credit_and_flags_it(shop, user):
    pay(user, deposit(user, shop.url, "90.05", "KZT"))
    made = the_deposit(shop)
    assert handled(shop, 2) == ["order.paid:credited", "order.flagged:recorded"]
    page = user.get(f"{shop.url}/demo-shop/deposits/{made.public_id}", timeout=HTTP_TIMEOUT).text
    assert "Deposit credited" in page and "Flagged for review" in page
    assert balances(user, shop) == ["KZT\u00a090.05"]


def test_an_amount_mismatch_is_held_for_review_not_credited(shop, user):
    pay(user, deposit(user, shop.url, "90.06", "KZT"))
    made = the_deposit(shop)
    assert settled(shop, made.public_id)["status"] == "flagged"
    assert outcomes(shop) == ["order.flagged:recorded"]
    assert balances(user, shop) == []
    page = user.get(f"{shop.url}/demo-shop/deposits/{made.public_id}", timeout=HTTP_TIMEOUT).text
    assert "Deposit held for review" in page


def test_a_lost_callback_ends_in_an_expired_deposit(shop, user):
    pay(user, deposit(user, shop.url, "90.04", "KZT"))
    made = the_deposit(shop)
    shop.app.extensions["sandbox"].deliveries.wait(10)
    assert deposit_status(shop, made.public_id)["waiting"] is True
    with shop.app.app_context():
        expire_stale_orders(timedelta(0))
    assert settled(shop, made.public_id)["status"] == "expired"
    assert balances(user, shop) == []


def test_a_bad_signature_never_reaches_the_shop(shop, user):
    """The checkout refuses the forged callback: no order changes, so no webhook is sent."""
    pay(user, deposit(user, shop.url, "90.07", "KZT"))
    made = the_deposit(shop)
    shop.app.extensions["sandbox"].deliveries.wait(10)
    assert deposit_status(shop, made.public_id)["waiting"] is True
    assert outcomes(shop) == []


def test_the_waiting_page_refreshes_itself_without_javascript(shop, user):
    deposit(user, shop.url, "90.00", "KZT")
    made = the_deposit(shop)
    page = user.get(f"{shop.url}/demo-shop/deposits/{made.public_id}", timeout=HTTP_TIMEOUT).text
    assert "Waiting for confirmation" in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "deposit-status.js" in page


def test_balances_are_kept_per_currency(shop, user):
    for amount, currency in [("90.00", "KZT"), ("10.50", "USD"), ("10.00", "KZT")]:
        pay(user, deposit(user, shop.url, amount, currency))
    with shop.app.app_context():
        count = lambda: db.session.scalar(  # noqa: E731
            select(func.count()).select_from(Deposit).where(Deposit.credited_at.is_not(None))
        )
        wait_for(lambda: count() == 3)
    assert balances(user, shop) == ["KZT\u00a0100.00", "$10.50"]


@pytest.mark.parametrize("path", ["/demo-shop/deposits/nope", "/demo-shop/deposits/nope/status"])
def test_an_unknown_deposit_is_a_plain_404(shop, path):
    assert requests.get(shop.url + path, timeout=HTTP_TIMEOUT).status_code == 404


def test_the_shops_pages_are_never_cached(shop, user):
    answer = user.get(shop.url + "/demo-shop/", timeout=HTTP_TIMEOUT)
    assert answer.headers["Cache-Control"] == "no-store"

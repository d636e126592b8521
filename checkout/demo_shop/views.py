"""The demo shop's pages: the signed-in user's account, a deposit's page, and the receiver.

The shop plays a merchant's site: it creates checkouts only through the Checkouts API over
HTTP, and learns that a deposit was paid only from a verified webhook.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from checkout.demo_shop import deposits, merchant_api, receiver
from checkout.demo_shop.deposits import DEMO_LOGIN, FormReused
from checkout.demo_shop.forms import DepositForm, new_form_key
from checkout.demo_shop.models import Deposit
from checkout.gateway_config import public_base_url
from checkout.money import format_minor
from checkout.security import no_store

bp = Blueprint(
    "demo_shop",
    __name__,
    url_prefix="/demo-shop",
    template_folder="templates",
    static_folder="static",
)
# The account's pages hold balances and form keys.
bp.after_request(no_store)

# A delivery is a few KB (the order object and its metadata): refuse more before reading.
MAX_WEBHOOK_BYTES = 64 * 1024


@bp.app_template_filter("shop_money")
def shop_money(minor: int, currency: str) -> str:
    """Format minor units as the shop's English pages show them, e.g. `KZT 90.00`."""
    return format_minor(minor, currency)


def account_page(form: DepositForm, status: int = 200, message: str | None = None) -> Any:
    """Render the user's account: balances, the deposit form, deposits, webhooks received."""
    page = render_template(
        "demo_shop/account.html",
        login=DEMO_LOGIN,
        balances=deposits.balances(DEMO_LOGIN),
        form=form,
        deposits=deposits.recent(DEMO_LOGIN),
        webhooks=receiver.latest(),
        webhook_url=current_app.config["MERCHANT_WEBHOOK_URL"],
        message=message,
    )
    return page, status


@bp.get("/")
def account() -> Any:
    return account_page(DepositForm(formdata=None))


@bp.post("/deposits")
def create_deposit() -> Any:
    """Record the deposit, create its checkout through the API, and send the user to pay."""
    form = DepositForm()
    if not form.validate():
        if form.form_key.errors:  # no field to show it by: say it above, and issue a new key
            form.form_key.data = new_form_key()
            return account_page(form, 422, " ".join(form.form_key.errors))
        return account_page(form, 422, "Please correct the fields below.")
    amount, currency, form_key = form.requested()
    try:
        deposit = deposits.start(DEMO_LOGIN, amount, currency, form_key)
    except FormReused:
        # A fresh key: the user's values are sent again as a new deposit if they confirm.
        fresh = DepositForm(formdata=None, amount=form.amount.data, currency=form.currency.data)
        message = "This form was already sent with other details. Check them and send it again."
        return account_page(fresh, 409, message)
    url = deposit.checkout_url
    if url is None:
        try:
            created = create_checkout(deposit)
        except merchant_api.MerchantApiError as error:
            deposits.could_not_start(deposit, str(error))
            return account_page(form, 502, f"We could not start your deposit: {error}.")
        deposits.opened(deposit, created.id, created.url)
        url = created.url
    return redirect(url, 303)


def create_checkout(deposit: Deposit) -> merchant_api.CreatedCheckout:
    """Ask the Checkouts API for the deposit's checkout, as the merchant's server would.

    The API is this site's own, called over HTTP through the shop's loopback listener (a
    sync worker calling its own public port would wait for itself); the form's key makes a
    repeated post the same checkout.
    """
    shop = current_app.extensions["demo_shop"]
    return_url = public_base_url() + url_for(".deposit_page", public_id=deposit.public_id)
    body = {
        "site_login": deposit.login,
        "amount": deposit.amount,
        "currency": deposit.currency,
        "return_url": return_url,
        "metadata": {"deposit": deposit.public_id},
    }
    return merchant_api.create_checkout(
        shop.api_base_url(),
        current_app.config["MERCHANT_API_KEY"],
        deposit.form_key,
        body,
        host=request.host,
    )


def deposit_or_404(public_id: str) -> Deposit:
    deposit = deposits.find(public_id)
    if deposit is None:
        abort(404, description="This shop has no such deposit.")
    return deposit


@bp.get("/deposits/<request_id:public_id>")
def deposit_page(public_id: str) -> Any:
    """Where the user lands back after paying (the checkout's return_url)."""
    deposit = deposit_or_404(public_id)
    return render_template(
        "demo_shop/deposit.html",
        deposit=deposit,
        login=DEMO_LOGIN,
        balances=deposits.balances(DEMO_LOGIN),
    )


@bp.get("/deposits/<request_id:public_id>/status")
def deposit_status(public_id: str) -> Response:
    """Tell the deposit's page, polling, whether the shop still waits to hear."""
    deposit = deposit_or_404(public_id)
    return jsonify(
        deposit=deposit.public_id,
        status=deposit.status,
        waiting=deposit.deposit_status.is_waiting,
        credited=deposit.credited_at is not None,
    )


@bp.post("/webhooks")
def receive_webhook() -> tuple[Response, int]:
    """The shop's webhook endpoint (MERCHANT_WEBHOOK_URL points here in development)."""
    request.max_content_length = MAX_WEBHOOK_BYTES
    headers = {name.lower(): value for name, value in request.headers.items()}
    receipt = receiver.receive(
        request.get_data(cache=False), headers, current_app.config["MERCHANT_WEBHOOK_SECRET"]
    )
    return jsonify(outcome=receipt.outcome, detail=receipt.detail), receipt.status

"""The customer's pages: checkout form, payment page, order status."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial
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
from flask_babel import gettext, lazy_gettext
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from checkout import i18n, rules, submissions
from checkout.extensions import limiter
from checkout.forms import CheckoutForm
from checkout.gateway import GatewayError, TokenRequest, open_url
from checkout.gateway_config import browser_gateway_base, gateway_client, public_url
from checkout.models import Order, OrderStatus
from checkout.orders import (
    CheckoutDetails,
    SubmissionConflict,
    create_order,
    get_order,
    order_summary,
    request_payment,
)
from checkout.policy import open_form_customer_type
from checkout.security import no_store

bp = Blueprint("checkout", __name__)
# The pages hold form tokens and order data.
bp.after_request(no_store)


# The order's state as the customer reads it, e.g. "Order paid" (JSON keeps the codes).
STATUS_LABELS: dict[str, Any] = {
    OrderStatus.CREATED: lazy_gettext("created"),
    OrderStatus.PENDING: lazy_gettext("pending"),
    OrderStatus.PAID: lazy_gettext("paid"),
    OrderStatus.FAILED: lazy_gettext("failed"),
    OrderStatus.EXPIRED: lazy_gettext("expired"),
}


def new_submission_token() -> str:
    """Return the hidden token that ties one rendered form to at most one order."""
    return secrets.token_urlsafe(16)


def render_form(
    form: CheckoutForm, status: int = 200, message: str | None = None
) -> tuple[str, int]:
    """Render the checkout form with a fresh submission token and an optional message."""
    form.submission_token.data = new_submission_token()
    return render_template("checkout/form.html", form=form, message=message), status


# Stand-ins for the per-visitor tokens in the cached blank form; URL-safe like the tokens.
CSRF_SLOT = "csrf-slot-f1b7c2"
TOKEN_SLOT = "token-slot-9d04ae"


class CSRFSlot(CSRF):
    """The CSRF protection of the cached blank form: it renders the slot that each visitor's
    page fills with their own token (through WTForms' `csrf_class` hook)."""

    def generate_csrf_token(self, csrf_token_field: Any) -> str:
        return CSRF_SLOT

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        raise ValidationError("the blank form is only rendered, never posted")


# The open form's endpoints, switched off by OPEN_CHECKOUT=0.
OPEN_FORM_ENDPOINTS = frozenset({"checkout.checkout_form", "checkout.submit_checkout"})


@bp.before_request
def open_form_switch() -> tuple[str, int] | None:
    """Answer the open form with a page saying to start from the shop, when it is off."""
    if request.endpoint in OPEN_FORM_ENDPOINTS and not current_app.config["OPEN_CHECKOUT"]:
        return render_template("checkout/closed.html"), 404
    return None


@bp.get("/")
def checkout_form() -> str:
    # Everything but the two tokens is the same for every visitor in a language: render
    # it once per language.
    page = blank_form_page()
    submissions.session_nonce()
    csrf_token = generate_csrf() if CSRF_SLOT in page else ""
    return page.replace(CSRF_SLOT, csrf_token).replace(TOKEN_SLOT, new_submission_token())


def blank_form_page() -> str:
    """Return the empty checkout page with token slots, rendered once per app and language.

    The page's words, its amounts and currency names, the switcher's current language
    and the gateway language chosen by default all follow the locale, so it is the key.
    """
    cache: dict[str, str] = current_app.extensions.setdefault("blank_form_pages", {})
    key = i18n.locale_code()
    if key not in cache or current_app.debug:
        form = CheckoutForm(formdata=None, meta={"csrf_class": CSRFSlot})
        form.currency.data = rules.offered_currencies()[0]
        form.submission_token.data = TOKEN_SLOT
        cache[key] = render_template("checkout/form.html", form=form, message=None)
    return cache[key]


@bp.post("/")
@limiter.limit(lambda: current_app.config["CHECKOUT_RATE_LIMIT"])
def submit_checkout() -> Response | tuple[str, int]:
    form = CheckoutForm()
    if not form.validate():
        return render_form(form, 422, invalid_form_message(form))
    values = form.valid_values()
    details = CheckoutDetails(
        amount=values.amount,
        currency=values.currency,
        method=values.method,
        language=values.language,
        bank_app=values.bank_app,
        site_login=values.site_login,
        customer_type=open_form_customer_type(),
    )
    refuse = partial(render_form, form)
    try:
        order, created = create_order(details, submissions.submission_key(values.submission_token))
    except SubmissionConflict:
        return refuse(409, already_submitted_message())
    return start_payment(order, created, refuse)


def invalid_form_message(form: CheckoutForm) -> str:
    """Return the message above a refused form.

    The hidden submission token has no place on the page to show its error, so when it
    is the only problem its own message is the one the customer reads.
    """
    visible_errors = [name for name in form.errors if name != "submission_token"]
    if form.submission_token.errors and not visible_errors:
        return form.submission_token.errors[0]
    return gettext("Please correct the highlighted fields.")


def token_request_for(order: Order) -> TokenRequest:
    """Build the obtain_token parameters for an order."""
    config = current_app.config
    return TokenRequest(
        merchant_id=config["MERCHANT_ID"],
        site_id=int(config["SITE_ID"]),
        site_login=order.site_login,
        request_id=order.request_id,
        amount=order.amount,
        currency=order.currency,
        language=order.language,
        customer_type=order.customer_type,
        method=order.method,
        success_url=public_url("checkout.order_success", request_id=order.request_id),
        fail_url=public_url("checkout.order_fail", request_id=order.request_id),
        additional_fields={"bank_app": order.bank_app} if order.bank_app else None,
    )


def already_submitted_message() -> str:
    """Return the message for a form posted again with other details than its order's."""
    return gettext(
        "This form was already submitted with other details. Please check "
        "them and press Continue to payment again."
    )


def start_payment(
    order: Order, created: bool, refuse: Callable[[int, str], tuple[str, int]]
) -> Response | tuple[str, int]:
    """Start the payment of the order a checkout form's post led to; send the customer on.

    Only the post that created the order asks the gateway: a copy of that post (a double
    click, a retry) goes where the first one went, or, when the first one could not
    start the payment, is refused as it was. Both checkout forms answer through here.

    :param refuse: renders the posting page again with a status and a message.
    """
    if created:
        try:
            request_payment(order, gateway_client(), token_request_for(order))
        except GatewayError as error:
            return refuse(502, error.customer_message)
    elif order.status == OrderStatus.FAILED and not order.gateway_key:
        return refuse(502, gettext("We could not start this payment. Please try again."))
    return next_step(order)


def next_step(order: Order) -> Response:
    """Send the customer where the gateway wants them: its page, or our payment page."""
    if order.redirect_url and not order.order_status.is_final:
        return redirect(order.redirect_url, 303)
    return redirect(url_for("checkout.pay", request_id=order.request_id), 303)


def order_or_404(request_id: str) -> Order:
    """Return the order or answer 404."""
    order = get_order(request_id)
    if order is None:
        abort(404, description=gettext("We could not find this order."))
    return order


@bp.get("/pay/<request_id:request_id>")
def pay(request_id: str) -> Response | str:
    order = order_or_404(request_id)
    if order.order_status.is_final:
        return redirect(url_for("checkout.order_page", request_id=request_id), 303)
    if order.redirect_url and not order.gateway_key:
        return redirect(order.redirect_url, 303)
    form_url = open_url(browser_gateway_base(), order.gateway_key) if order.gateway_key else None
    return render_template("checkout/pay.html", order=order, form_url=form_url)


@bp.get("/orders/<request_id:request_id>")
def order_page(request_id: str) -> str:
    order = order_or_404(request_id)
    status_label = STATUS_LABELS.get(order.status, order.status)
    return render_template("checkout/order.html", order=order, status_label=status_label)


@bp.get("/orders/<request_id:request_id>/success")
def order_success(request_id: str) -> str:
    # The redirect proves nothing: the page shows what the verified callbacks said.
    return order_page(request_id)


@bp.get("/orders/<request_id:request_id>/fail")
def order_fail(request_id: str) -> str:
    return order_page(request_id)


@bp.get("/orders/<request_id:request_id>/status")
def order_status(request_id: str) -> Response:
    summary = order_summary(request_id)
    if summary is None:
        abort(404, description=gettext("We could not find this order."))
    return jsonify(summary)

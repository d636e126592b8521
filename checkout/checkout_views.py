"""The customer's page of a merchant's checkout, at the checkout's `url` (`/c/<id>`).

It is the checkout form of `/` with the merchant's fixed values shown instead of asked
for, and posting it continues exactly as `POST /` does. What the merchant fixed is taken
from the checkout, never from the posted form: tampering with it changes nothing.
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, current_app, render_template
from flask_babel import gettext
from werkzeug.wrappers import Response

from checkout import catalogue, checkouts, i18n, rules, submissions
from checkout.checkouts import CheckoutClosed
from checkout.extensions import limiter
from checkout.forms import CheckoutForm
from checkout.models import Checkout, CheckoutStatus
from checkout.money import format_plain
from checkout.orders import CheckoutDetails, SubmissionConflict, get_order
from checkout.security import no_store
from checkout.views import (
    already_submitted_message,
    invalid_form_message,
    new_submission_token,
    start_payment,
)

bp = Blueprint("checkouts", __name__)
# The page holds form tokens and the customer's data.
bp.after_request(no_store)


def checkout_or_404(checkout_id: str) -> Checkout:
    """Return the checkout (expired first if its time is up) or answer 404."""
    checkout = checkouts.get_checkout(checkout_id)
    if checkout is None:
        abort(404, description=gettext("We could not find this payment."))
    return checkout


def fixed_values(checkout: Checkout) -> dict[str, str]:
    """Return the form fields the merchant fixed, with the values the form would hold."""
    values = {"site_login": checkout.site_login}
    if checkout.amount is not None and checkout.currency:
        values["amount"] = format_plain(checkout.amount, checkout.currency)
    for name in ("currency", "method", "bank_app", "language"):
        if getattr(checkout, name):
            values[name] = getattr(checkout, name)
    return values


def checkout_form(checkout: Checkout, posted: bool) -> CheckoutForm:
    """Return the checkout form, posted or blank, holding the merchant's fixed values."""
    form = CheckoutForm() if posted else CheckoutForm(formdata=None)
    if not posted and rules.offered_currencies():
        form.currency.data = rules.offered_currencies()[0]
    for name, value in fixed_values(checkout).items():
        form[name].data = value  # whatever was posted for it
    return form


def fixed_summary(checkout: Checkout, form: CheckoutForm) -> list[tuple[str, str]]:
    """Return the merchant's fixed values as the customer reads them, label first."""
    locale = i18n.locale_code()
    rows = [(form.site_login.label.text, checkout.site_login)]
    if checkout.amount is not None and checkout.currency:
        rows.append((form.amount.label.text, i18n.money(checkout.amount, checkout.currency)))
    elif checkout.currency:
        rows.append((form.currency.label.text, catalogue.currency_label(checkout.currency, locale)))
    if checkout.method:
        rows.append((form.method.label.text, str(catalogue.METHODS_BY_CODE[checkout.method].label)))
    if checkout.bank_app:
        label = catalogue.BANK_APP_LABELS[catalogue.BankApp(checkout.bank_app)]
        rows.append((form.bank_app.label.text, str(label)))
    if checkout.language:
        language = catalogue.LANGUAGES_BY_CODE[checkout.language]
        rows.append((form.language.label.text, language.label))
    return rows


def render_page(
    checkout: Checkout, form: CheckoutForm, status: int = 200, message: str | None = None
) -> tuple[str, int]:
    """Render the checkout's page with a fresh submission token."""
    form.submission_token.data = new_submission_token()
    live = checkouts.live_orders(checkout)
    page = render_template(
        "checkout/checkout.html",
        checkout=checkout,
        form=form,
        fixed=fixed_summary(checkout, form),
        asks_bank_app=not checkout.bank_app
        and (not checkout.method or catalogue.method_needs_bank_app(checkout.method)),
        live_order=live[0] if live else None,
        message=message,
    )
    return page, status


def closed_page(checkout: Checkout) -> tuple[str, int] | None:
    """Return the page of a paid (200) or expired (410) checkout; None while it is open."""
    if checkout.status == CheckoutStatus.OPEN:
        return None
    paid_order = get_order(checkout.paid_request_id) if checkout.paid_request_id else None
    status = 410 if checkout.status == CheckoutStatus.EXPIRED else 200
    return render_template(
        "checkout/checkout_closed.html", checkout=checkout, order=paid_order
    ), status


@bp.get("/c/<request_id:checkout_id>")
def checkout_page(checkout_id: str) -> tuple[str, int]:
    checkout = checkout_or_404(checkout_id)
    # The session exists before the first post, so that a double first post is one session.
    submissions.session_nonce()
    return closed_page(checkout) or render_page(checkout, checkout_form(checkout, posted=False))


@bp.post("/c/<request_id:checkout_id>")
@limiter.limit(lambda: current_app.config["CHECKOUT_RATE_LIMIT"])
def submit_checkout_page(checkout_id: str) -> Response | tuple[str, int]:
    checkout = checkout_or_404(checkout_id)
    closed = closed_page(checkout)
    if closed:
        return closed
    form = checkout_form(checkout, posted=True)
    if not form.validate():
        return render_page(checkout, form, 422, invalid_form_message(form))
    values = form.valid_values()
    details = CheckoutDetails(
        amount=checkout.amount if checkout.amount is not None else values.amount,
        currency=checkout.currency or values.currency,
        method=checkout.method or values.method,
        language=checkout.language or values.language,
        bank_app=checkout.bank_app or values.bank_app,
        site_login=checkout.site_login,
        customer_type=checkout.customer_type,
    )
    refuse = partial(render_page, checkout, form)
    try:
        order, created = checkouts.start_order(
            checkout, details, submissions.submission_key(values.submission_token)
        )
    except SubmissionConflict:
        return refuse(409, already_submitted_message())
    except CheckoutClosed:
        # Paid or expired meanwhile; or its payment under way failed as we started ours.
        message = gettext("We could not start this payment. Please try again.")
        return closed_page(checkout_or_404(checkout_id)) or refuse(409, message)
    return start_payment(order, created, refuse)

"""The back office's checkout forms: the checkouts filter, and a payment link made by hand.

A payment link is a checkout like any the API creates: its fields go through the same
checks (`checkout.checkout_input`), and their messages land next to the form's fields.
"""

from __future__ import annotations

import json
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from checkout import catalogue, rules
from checkout.admin.repository import CheckoutFilter
from checkout.checkout_input import CheckoutRequest, InvalidCheckout, read_checkout_request
from checkout.models import CheckoutStatus
from checkout.money import AmountError, parse_amount

ANY = ""
# How long a link stays payable, in seconds: the API's range, in round numbers.
LIFETIMES = [
    (3600, "1 hour"),
    (900, "15 minutes"),
    (6 * 3600, "6 hours"),
    (86_400, "24 hours"),
]


class CheckoutFilterForm(FlaskForm):
    """The checkouts list filter, read from the query string."""

    class Meta:
        csrf = False  # reading is safe, and filtered links must work when shared

    status = SelectField("Status", default=ANY)
    login = SearchField("Login", validators=[Optional(), Length(max=64)])
    metadata = SearchField("Metadata contains", validators=[Optional(), Length(max=200)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]  # FlaskForm is unannotated
        self.status.choices = [(ANY, "Any status")] + [
            (status.value, status.value.capitalize()) for status in CheckoutStatus
        ]

    def to_filter(self) -> CheckoutFilter:
        """Return the filter the fields describe (call after `validate`): a field in error
        filters nothing."""

        status = None if self.status.errors else self.status.data
        return CheckoutFilter(
            status=CheckoutStatus(status) if status else None,
            login=_term(self.login),
            metadata=_term(self.metadata),
        )


def _term(field: SearchField) -> str | None:
    """Return a search field's term, or None when it is empty or in error."""
    if field.errors:
        return None
    return (field.data or "").strip() or None


class PaymentLinkForm(FlaskForm):
    """A checkout made by hand, e.g. to sell by messenger or e-mail."""

    site_login = StringField("Customer's login", render_kw={"autocomplete": "off"})
    amount = StringField("Amount", render_kw={"inputmode": "decimal", "autocomplete": "off"})
    currency = SelectField("Currency", validate_choice=False)
    method = SelectField("Payment method", validate_choice=False)
    bank_app = SelectField("Bank app", validate_choice=False)
    language = SelectField("Payment page language", validate_choice=False)
    customer_type = SelectField(
        "Customer type", default=catalogue.CustomerType.REGULAR.value, validate_choice=False
    )
    return_url = StringField("Return URL", validators=[Optional()])
    expires_in = SelectField("Valid for", coerce=int, validate_choice=False)
    metadata = TextAreaField("Metadata (JSON object)", validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]  # FlaskForm is unannotated
        self.currency.choices = [(code, code) for code in rules.offered_currencies()]
        self.method.choices = [(ANY, "Customer chooses")] + [
            (method.code, str(method.label)) for method in catalogue.METHODS
        ]
        self.bank_app.choices = [(ANY, "Customer chooses")] + [
            (app.value, app.value) for app in catalogue.BankApp
        ]
        self.language.choices = [(ANY, "Customer chooses")] + [
            (language.code, language.label) for language in catalogue.LANGUAGES
        ]
        self.customer_type.choices = [(kind.value, kind.value) for kind in catalogue.CustomerType]
        self.expires_in.choices = LIFETIMES

    def checkout_request(self) -> CheckoutRequest | None:
        """Return the checkout these fields ask for, or None with the errors on the fields."""
        data: dict[str, Any] = {
            "site_login": self.site_login.data,
            "currency": self.currency.data,
            "method": self.method.data or None,
            "bank_app": self.bank_app.data or None,
            "language": self.language.data or None,
            "customer_type": self.customer_type.data,
            "return_url": (self.return_url.data or "").strip() or None,
            "expires_in": self.expires_in.data,
        }
        amount, metadata = (self.amount.data or "").strip(), (self.metadata.data or "").strip()
        if amount:
            try:
                data["amount"] = parse_amount(amount, self.currency.data or "")
            except (AmountError, KeyError, ValueError) as error:
                self.amount.errors = [str(error)]
        if metadata:
            try:
                data["metadata"] = json.loads(metadata)
            except ValueError:
                self.metadata.errors = ['Enter a JSON object, e.g. {"invoice": 17}.']
        try:
            checkout_request = read_checkout_request(data)
        except InvalidCheckout as error:
            for name, messages in error.errors.items():
                self[name].errors = list(self[name].errors or []) + messages
            return None
        if self.amount.errors or self.metadata.errors:
            return None
        return checkout_request

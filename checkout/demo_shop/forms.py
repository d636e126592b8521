"""The shop's deposit form: an amount, a currency, and the form's own Idempotency-Key."""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import ValidationError

from checkout import rules
from checkout.money import AmountError, parse_amount

# What new_form_key makes; it travels in a header, so nothing outside ASCII gets through.
FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_form_key() -> str:
    """Return the Idempotency-Key of one rendered form: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


class DepositForm(FlaskForm):
    """What the signed-in user asks for; `amount_minor` holds the exact amount once valid."""

    amount = StringField("Amount", render_kw={"inputmode": "decimal", "autocomplete": "off"})
    currency = SelectField("Currency", validate_choice=False)
    form_key = HiddenField(default=new_form_key)

    amount_minor: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]  # FlaskForm is unannotated
        self.currency.choices = [(code, code) for code in rules.offered_currencies()]

    def validate_currency(self, field: SelectField) -> None:
        if field.data not in rules.offered_currencies():
            raise ValidationError("Choose one of the currencies in the list.")

    def validate_amount(self, field: StringField) -> None:
        currency = self.currency.data
        if currency not in rules.offered_currencies():
            return  # the currency's own error says it
        try:
            self.amount_minor = parse_amount(field.data or "", currency, rules.max_amount(currency))
        except AmountError as error:
            raise ValidationError(str(error)) from None

    def validate_form_key(self, field: HiddenField) -> None:
        if not FORM_KEY.fullmatch(field.data or ""):
            raise ValidationError("This form is out of date: reload the page and try again.")

    def requested(self) -> tuple[int, str, str]:
        """Return the amount in minor units, the currency and the form's key, once valid.

        :raise ValueError: when the form was not validated.
        """
        if self.amount_minor is None:
            raise ValueError("the deposit form was not validated")
        return self.amount_minor, str(self.currency.data), str(self.form_key.data)

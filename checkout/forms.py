"""The checkout form: field names are the gateway's own parameter names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import ValidationError

from checkout import catalogue, i18n, rules
from checkout.money import AmountError, parse_amount

NO_METHOD = ""


@dataclass(frozen=True)
class ValidValues:
    """What a form that passed `validate()` holds, each value in its checked type."""

    amount: int
    currency: str
    method: str | None
    language: str
    bank_app: str | None
    site_login: str
    submission_token: str


class CheckoutForm(FlaskForm):
    """What the customer fills in; `amount_minor` holds the exact amount once validated."""

    amount = StringField(
        lazy_gettext("Amount"), render_kw={"inputmode": "decimal", "autocomplete": "off"}
    )
    currency = SelectField(lazy_gettext("Currency"), validate_choice=False)
    method = SelectField(lazy_gettext("Payment method"), validate_choice=False)
    bank_app = SelectField(lazy_gettext("Bank app"), validate_choice=False)
    # The gateway's form opens in the page's language unless the customer picks another.
    language = SelectField(
        lazy_gettext("Payment page language"),
        default=i18n.gateway_language,
        validate_choice=False,
    )
    site_login = StringField(lazy_gettext("Your login"), render_kw={"autocomplete": "username"})
    submission_token = HiddenField()

    amount_minor: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]  # FlaskForm is unannotated
        locale = i18n.locale_code()
        self.currency.choices = [
            (code, catalogue.currency_label(code, locale)) for code in rules.offered_currencies()
        ]
        self.method.choices = [(NO_METHOD, gettext("Choose on the payment page"))] + [
            (method.code, str(method.label)) for method in catalogue.METHODS
        ]
        self.bank_app.choices = [("", "—")] + [
            (app, str(label)) for app, label in catalogue.BANK_APP_LABELS.items()
        ]
        self.language.choices = [
            (language.code, language.label) for language in catalogue.LANGUAGES
        ]

    def validate_currency(self, field: SelectField) -> None:
        field.data = checked(rules.check_currency, field.data)

    def validate_amount(self, field: StringField) -> None:
        currency = self.currency.data
        if currency not in rules.offered_currencies():
            raise ValidationError(gettext("Choose a currency first."))
        try:
            self.amount_minor = parse_amount(
                field.data or "", currency, rules.max_amount(currency), i18n.locale_code()
            )
        except AmountError as error:
            raise ValidationError(str(error)) from None

    def validate_method(self, field: SelectField) -> None:
        checked(rules.check_method, field.data)

    def validate_bank_app(self, field: SelectField) -> None:
        checked(rules.check_bank_app, self.method.data, field.data)

    def validate_language(self, field: SelectField) -> None:
        checked(rules.check_language, field.data)

    def validate_site_login(self, field: StringField) -> None:
        field.data = checked(rules.check_site_login, field.data)

    def validate_submission_token(self, field: HiddenField) -> None:
        token = field.data or ""
        if not 16 <= len(token) <= 64 or not token.replace("-", "").replace("_", "").isalnum():
            raise ValidationError(gettext("This form is out of date: please submit it again."))

    @property
    def chosen_bank_app(self) -> str | None:
        """The bank app, kept only for methods that use one."""
        return self.bank_app.data if catalogue.method_needs_bank_app(self.method.data) else None

    def valid_values(self) -> ValidValues:
        """Return the values that `validate()` checked, so no caller handles a missing one.

        :raise RuntimeError: when the form has not passed `validate()` (a caller's bug).
        """
        amount, login, token = self.amount_minor, self.site_login.data, self.submission_token.data
        if self.errors or amount is None or login is None or token is None:
            raise RuntimeError("valid_values() needs a form that passed validate()")
        return ValidValues(
            amount=amount,
            currency=self.currency.data,
            method=self.method.data or None,
            language=self.language.data,
            bank_app=self.chosen_bank_app,
            site_login=login,
            submission_token=token,
        )


def checked(rule: Callable[..., Any], *values: Any) -> Any:
    """Run a shared rule on a field's value; its refusal becomes the field's error."""
    try:
        return rule(*values)
    except rules.RuleError as error:
        raise ValidationError(str(error)) from None

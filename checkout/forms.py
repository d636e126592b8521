"""The checkout form: field names are the gateway's own parameter names."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext, lazy_gettext, ngettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import ValidationError

from checkout import catalogue, i18n, signing
from checkout.money import AmountError, amount_limits, parse_amount, to_minor

MAX_LOGIN_LENGTH = 64
NO_METHOD = ""


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        locale = i18n.locale_code()
        self.currency.choices = [
            (code, catalogue.currency_label(code, locale)) for code in offered_currencies()
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
        if field.data not in offered_currencies():
            raise ValidationError(gettext("Choose one of the currencies in the list."))

    def validate_amount(self, field: StringField) -> None:
        currency = self.currency.data
        if currency not in offered_currencies():
            raise ValidationError(gettext("Choose a currency first."))
        try:
            self.amount_minor = parse_amount(
                field.data or "", currency, max_amount(currency), i18n.locale_code()
            )
        except AmountError as error:
            raise ValidationError(str(error)) from None

    def validate_method(self, field: SelectField) -> None:
        if field.data != NO_METHOD and field.data not in catalogue.METHODS_BY_CODE:
            raise ValidationError(gettext("Choose one of the payment methods in the list."))

    def validate_bank_app(self, field: SelectField) -> None:
        if field.data and field.data not in tuple(catalogue.BankApp):
            raise ValidationError(gettext("Choose Sberbank or T-Bank."))
        if catalogue.method_needs_bank_app(self.method.data) and not field.data:
            raise ValidationError(gettext("Choose the bank app you will pay with."))

    def validate_language(self, field: SelectField) -> None:
        if field.data not in catalogue.LANGUAGES_BY_CODE:
            raise ValidationError(gettext("Choose one of the languages in the list."))

    def validate_site_login(self, field: StringField) -> None:
        login = (field.data or "").strip()
        if not login:
            raise ValidationError(gettext("Enter your login."))
        if len(login) > MAX_LOGIN_LENGTH:
            raise ValidationError(
                ngettext(
                    "Your login must be at most %(num)d character.",
                    "Your login must be at most %(num)d characters.",
                    MAX_LOGIN_LENGTH,
                )
            )
        # The login is signed: & and = would make the signed string ambiguous (see signing).
        if not signing.is_signable_text(login):
            raise ValidationError(
                gettext("Your login must not contain &, = or unprintable characters.")
            )
        field.data = login

    def validate_submission_token(self, field: HiddenField) -> None:
        token = field.data or ""
        if not 16 <= len(token) <= 64 or not token.replace("-", "").replace("_", "").isalnum():
            raise ValidationError(gettext("This form is out of date: please submit it again."))

    @property
    def chosen_bank_app(self) -> str | None:
        """The bank app, kept only for methods that use one."""
        return self.bank_app.data if catalogue.method_needs_bank_app(self.method.data) else None


def offered_currencies() -> list[str]:
    """Return the currencies this shop offers, as configured."""
    return current_app.config["CHECKOUT_CURRENCIES"]


def max_amount(currency: str) -> int:
    """Return the largest payable amount in minor units for a currency, as configured."""
    overrides = amount_limits(current_app.config["CHECKOUT_MAX_AMOUNTS"])
    return to_minor(overrides.get(currency, current_app.config["CHECKOUT_MAX_AMOUNT"]), currency)

"""What a payment's details must be, in one place: the open form, the Checkouts API and the
back office all check them here, so a rule changed once changes everywhere.

Each check returns the value as it is to be stored, or raises `RuleError` with a message
for people (translated into the request's language; English outside a request or in the API).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext, ngettext

from checkout import catalogue, signing
from checkout.money import amount_limits, format_minor, to_minor

MAX_LOGIN_LENGTH = 64


class RuleError(ValueError):
    """A value breaks a rule; the message says which, in words fit for the field."""


def check_site_login(text: str | None) -> str:
    """Return the login trimmed.

    :raise RuleError: when it is empty, too long, or holds `&`, `=` or a character that
        cannot be printed: the login is signed (see `signing.is_signable_text`).
    """
    login = (text or "").strip()
    if not login:
        raise RuleError(gettext("Enter your login."))
    if len(login) > MAX_LOGIN_LENGTH:
        raise RuleError(
            ngettext(
                "Your login must be at most %(num)d character.",
                "Your login must be at most %(num)d characters.",
                MAX_LOGIN_LENGTH,
            )
        )
    if not signing.is_signable_text(login):
        raise RuleError(gettext("Your login must not contain &, = or unprintable characters."))
    return login


def offered_currencies() -> list[str]:
    """Return the currencies this shop offers, as configured."""
    currencies: list[str] = current_app.config["CHECKOUT_CURRENCIES"]
    return currencies


def check_currency(code: str | None) -> str:
    """Return the currency code if the shop offers it.

    :raise RuleError: otherwise.
    """
    if code not in offered_currencies():
        raise RuleError(gettext("Choose one of the currencies in the list."))
    return code


def max_amount(currency: str) -> int:
    """Return the largest payable amount in minor units for a currency, as configured."""
    overrides = amount_limits(current_app.config["CHECKOUT_MAX_AMOUNTS"])
    return to_minor(overrides.get(currency, current_app.config["CHECKOUT_MAX_AMOUNT"]), currency)


def check_amount_minor(minor: int, currency: str, locale: str = "en") -> int:
    """Return an amount in minor units if it is positive and within the configured limit.

    :raise RuleError: otherwise (the limit is named, formatted for `locale`).
    """
    if minor <= 0:
        raise RuleError(gettext("The amount must be greater than zero."))
    limit = max_amount(currency)
    if minor > limit:
        raise RuleError(
            gettext(
                "The amount must not exceed %(limit)s.", limit=format_minor(limit, currency, locale)
            )
        )
    return minor


def check_method(code: str | None) -> str | None:
    """Return the method code, or None for "the customer chooses on the gateway's form".

    :raise RuleError: for a method the gateway does not offer.
    """
    if not code:
        return None
    if code not in catalogue.METHODS_BY_CODE:
        raise RuleError(gettext("Choose one of the payment methods in the list."))
    return code


def check_bank_app(
    method: str | None, bank_app: str | None, *, required: bool = True
) -> str | None:
    """Return the bank app kept for the method: only cis_transfer and _card use one.

    :param required: whether a method that uses a bank app must have one now (the form),
        or may leave it to the customer (a checkout created by the merchant).
    :raise RuleError: for an unknown bank app, or a missing one when required.
    """
    if bank_app and bank_app not in tuple(catalogue.BankApp):
        raise RuleError(gettext("Choose Sberbank or T-Bank."))
    if not catalogue.method_needs_bank_app(method):
        return None
    if required and not bank_app:
        raise RuleError(gettext("Choose the bank app you will pay with."))
    return bank_app or None


def check_language(code: str | None) -> str:
    """Return the gateway language code if the gateway speaks it.

    :raise RuleError: otherwise.
    """
    if code not in catalogue.LANGUAGES_BY_CODE:
        raise RuleError(gettext("Choose one of the languages in the list."))
    return code

"""What the gateway accepts: currencies, payment methods, languages and bank apps."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import iso4217
from babel.numbers import get_currency_name
from flask_babel import lazy_gettext


class CustomerType(StrEnum):
    TRUST = "trust"
    REGULAR = "regular"


class BankApp(StrEnum):
    SBERBANK = "sberbank"
    TBANK = "tbank"


# Labels are translated when shown; brand names that are the same everywhere are plain text.
BANK_APP_LABELS = {
    BankApp.SBERBANK: lazy_gettext("Sberbank"),
    BankApp.TBANK: lazy_gettext("T-Bank"),
}


@dataclass(frozen=True)
class Method:
    code: str
    label: str  # a lazy translation, or a brand name that reads the same in every language
    needs_bank_app: bool = False


METHODS: tuple[Method, ...] = (
    Method("sbp", lazy_gettext("SBP (Faster Payments)")),
    Method("card", lazy_gettext("Bank card")),
    Method("qiwi", "QIWI"),
    Method("cash", lazy_gettext("Cash")),
    Method("mobile", lazy_gettext("Mobile payment")),
    Method("binance", "Binance Pay"),
    Method("MTSPay", "MTS Pay"),
    Method("WalletM10", lazy_gettext("M10 wallet")),
    Method("Emanat", "e-Manat"),
    Method("wise", "Wise"),
    Method("skrill", "Skrill"),
    Method("cis_transfer", lazy_gettext("Bank transfer (CIS)"), needs_bank_app=True),
    Method("cis_transfer_card", lazy_gettext("Card transfer (CIS)"), needs_bank_app=True),
    Method("localbanks", lazy_gettext("Local banks")),
    Method("papara", "Papara"),
    Method("Tbank_card", lazy_gettext("T-Bank card")),
    Method("PIX", "PIX"),
)
METHODS_BY_CODE = {method.code: method for method in METHODS}


@dataclass(frozen=True)
class Language:
    code: str
    label: str
    locale: str


# The gateway's docs label IN "Indonesian" and ID "Hindi" (swapped); we send the codes as
# documented and label them with the language the docs promise, so the customer gets the
# language they picked.
LANGUAGES: tuple[Language, ...] = (
    Language("EN", "English", "en"),
    Language("UA", "Українська", "uk"),
    Language("RU", "Русский", "ru"),
    Language("KZ", "Қазақша", "kk"),
    Language("AZ", "Azərbaycanca", "az"),
    Language("IN", "Bahasa Indonesia", "id"),
    Language("ID", "हिन्दी", "hi"),
)
LANGUAGES_BY_CODE = {language.code: language for language in LANGUAGES}
DEFAULT_LANGUAGE = "EN"


# Minor units from ISO 4217 itself (the `iso4217` package ships the ISO list), as the
# gateway counts them. Babel's CLDR digits are display digits: 0 for IDR and HUF where ISO
# says 2, a 100x error on every payment. Funds and metals (XAU...) have none: not payable.
ISO_EXPONENTS: dict[str, int] = {
    currency.code: currency.exponent
    for currency in iso4217.Currency
    if currency.exponent is not None
}


def is_iso_currency(code: str) -> bool:
    """Tell whether `code` is a current ISO 4217 currency with minor units."""
    return code in ISO_EXPONENTS


def currency_exponent(code: str) -> int:
    """Return the number of minor-unit digits of a currency, from ISO 4217.

    :raise ValueError: for a code that is not a payable ISO 4217 currency.
    """
    try:
        return ISO_EXPONENTS[code]
    except KeyError:
        raise ValueError(f"{code!r} is not an ISO 4217 currency with minor units") from None


def currency_label(code: str, locale: str = "en") -> str:
    """Return e.g. `KZT — Kazakhstani Tenge` for a currency select."""
    return f"{code} — {get_currency_name(code, locale=locale)}"


def method_needs_bank_app(code: str | None) -> bool:
    """Tell whether a method requires the customer's bank app (cis_transfer and _card)."""
    method = METHODS_BY_CODE.get(code or "")
    return bool(method and method.needs_bank_app)

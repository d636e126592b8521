"""Exact money: text in major units becomes an integer of minor units, never a float."""

from __future__ import annotations

import copy
import functools
import re
from decimal import Decimal

from babel import Locale
from babel.numbers import NumberPattern, format_currency
from flask_babel import gettext, ngettext

from checkout.catalogue import currency_exponent

# Plain decimal notation only: no exponent, NaN, Infinity, grouping or underscores. A minus
# is recognised only to say "greater than zero" instead of "not a number".
AMOUNT_PATTERN = re.compile(r"(?P<minus>-)?(?P<whole>[0-9]+)(?:[.,](?P<fraction>[0-9]+))?")
# Far above any payable amount, far below Python's limit on int() of long digit strings.
MAX_WHOLE_DIGITS = 18
# Babel skips CLDR's currency spacing ("KZT90.00"): a letter code and digits need a space.
CURRENCY_SPACING = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


class AmountError(ValueError):
    """The amount text cannot be turned into a payable amount; the message is for customers.

    Messages are translated when raised, into the current request's language (English
    outside a request).
    """


def parse_amount(text: str, currency: str, max_minor: int | None = None, locale: str = "en") -> int:
    """Convert an amount typed in major units (`"90.00"`) to integer minor units (`9000`).

    :param locale: how a limit named in a message is formatted, e.g. `kk` → `1 000 000,00 ₸`.
    :raise AmountError: with a message fit to show next to the field.
    """
    cleaned = (text or "").strip()
    if not cleaned:
        raise AmountError(gettext("Enter an amount."))
    match = AMOUNT_PATTERN.fullmatch(cleaned)
    if match is None:
        raise AmountError(gettext("Enter the amount as a plain number, for example 90.00."))
    if match["minus"]:
        raise AmountError(gettext("The amount must be greater than zero."))
    exponent = currency_exponent(currency)
    fraction = match["fraction"] or ""
    if len(fraction) > exponent:
        if exponent == 0:
            raise AmountError(
                gettext("%(currency)s has no minor units: enter a whole number.", currency=currency)
            )
        raise AmountError(
            ngettext(
                "%(currency)s allows at most %(num)d digit after the point.",
                "%(currency)s allows at most %(num)d digits after the point.",
                exponent,
                currency=currency,
            )
        )
    whole = match["whole"].lstrip("0") or "0"
    if len(whole) > MAX_WHOLE_DIGITS:
        raise AmountError(too_large_message(max_minor, currency, locale))
    minor: int = int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or "0")
    if minor <= 0:
        raise AmountError(gettext("The amount must be greater than zero."))
    if max_minor is not None and minor > max_minor:
        raise AmountError(too_large_message(max_minor, currency, locale))
    return minor


def too_large_message(max_minor: int | None, currency: str, locale: str = "en") -> str:
    """Return the message for an amount above the limit (or above any sensible amount)."""
    if max_minor is None:
        return gettext("The amount is too large.")
    limit = format_minor(max_minor, currency, locale)
    return gettext("The amount must not exceed %(limit)s.", limit=limit)


def amount_limits(items: list[str]) -> dict[str, str]:
    """Read `CODE=amount` settings into a dict keyed by upper-case currency code."""
    pairs = (item.partition("=") for item in items)
    return {code.strip().upper(): limit.strip() for code, _, limit in pairs}


def to_minor(major: str | int | Decimal, currency: str) -> int:
    """Convert a configured major-unit amount (e.g. a limit) to minor units exactly."""
    value = Decimal(str(major)) * 10 ** currency_exponent(currency)
    if value != value.to_integral_value():
        raise ValueError(f"{major} {currency} has more decimals than {currency} allows")
    return int(value)


def to_major(minor: int, currency: str) -> Decimal:
    """Return the exact major-unit Decimal of an amount in minor units."""
    return Decimal(minor).scaleb(-currency_exponent(currency))


def format_minor(minor: int, currency: str, locale: str = "en") -> str:
    """Format minor units for people, e.g. `9000, "KZT"` → `KZT 90.00` (no-break space).

    Babel lays out the amount for the locale, with ISO 4217's digits rather than CLDR's:
    10000 IDR reads `IDR 100.00`, as much as the gateway is asked for.
    """
    pattern = currency_pattern(locale, currency_exponent(currency))
    text = format_currency(
        to_major(minor, currency), currency, pattern, locale=locale, currency_digits=False
    )
    return CURRENCY_SPACING.sub("\u00a0", text)


@functools.cache
def currency_pattern(locale: str, digits: int) -> NumberPattern:
    """Return the locale's standard currency pattern with exactly `digits` decimals."""
    pattern: NumberPattern = copy.copy(Locale.parse(locale).currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return pattern


def format_plain(minor: int, currency: str) -> str:
    """Return the amount as the form expects it back, e.g. `90.00` (no grouping)."""
    exponent = currency_exponent(currency)
    return f"{to_major(minor, currency):.{exponent}f}"

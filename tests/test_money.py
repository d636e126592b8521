"""Exact money: amount text → integer minor units, and minor units → text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import get_currency_precision

from checkout.catalogue import ISO_EXPONENTS, currency_exponent, is_iso_currency
from checkout.money import (
    AmountError,
    format_minor,
    format_plain,
    parse_amount,
    to_major,
    to_minor,
)
from config import DEFAULT_CURRENCIES

PLAIN = "Enter the amount as a plain number, for example 90.00."
POSITIVE = "The amount must be greater than zero."
EMPTY = "Enter an amount."
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("KZT", 2), ("USD", 2), ("IDR", 2), ("HUF", 2), ("JPY", 0), ("KWD", 3), ("CLF", 4)],
)
def test_exponents_come_from_iso_4217(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent


# Every currency whose ISO 4217 minor units differ from CLDR's display digits (which Babel's
# get_currency_precision returns), with ISO's figure: the ones a CLDR-based checkout gets
# wrong by 10^n. Written out so that a change in either data set is seen and decided.
ISO_DIFFERS_FROM_CLDR = {
    "AFN": 2,
    "ALL": 2,
    "COP": 2,
    "HUF": 2,
    "IDR": 2,
    "IQD": 3,
    "IRR": 2,
    "KPW": 2,
    "LAK": 2,
    "LBP": 2,
    "MGA": 2,
    "MMK": 2,
    "SOS": 2,
    "SYP": 2,
    "YER": 2,
}


def test_every_currency_where_iso_and_cldr_differ_uses_iso() -> None:
    differ = {
        code: exponent
        for code, exponent in ISO_EXPONENTS.items()
        if get_currency_precision(code) != exponent
    }
    assert differ == ISO_DIFFERS_FROM_CLDR
    offered = set(DEFAULT_CURRENCIES.split(","))
    assert offered & set(differ) == {"IDR"}, "offered by default and differing"
    for code, exponent in differ.items():
        assert currency_exponent(code) == exponent


@pytest.mark.parametrize("code", ["XAU", "XXX", "ABC", "kzt", ""])
def test_a_code_without_iso_minor_units_has_no_exponent(code: str) -> None:
    assert not is_iso_currency(code)
    with pytest.raises(ValueError, match="not an ISO 4217 currency"):
        currency_exponent(code)


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        # accepted: (text, currency, minor units)
        ("90.00", "KZT", 9000),
        (" 90 ", "KZT", 9000),
        ("\t90.00\n", "KZT", 9000),
        ("90", "KZT", 9000),
        ("90.5", "KZT", 9050),
        ("90,5", "KZT", 9050),
        ("0.01", "KZT", 1),
        ("007.50", "KZT", 750),
        ("1000", "IDR", 100_000),
        ("1000.50", "IDR", 100_050),
        ("1000,5", "HUF", 100_050),
        ("1000", "JPY", 1000),
        ("1.234", "KWD", 1234),
        ("1.2", "KWD", 1200),
        ("0" * 40 + "1", "KZT", 100),
        # refused: (text, currency, the customer's message)
        ("", "KZT", EMPTY),
        ("   ", "KZT", EMPTY),
        ("0", "KZT", POSITIVE),
        ("0.00", "KZT", POSITIVE),
        ("-1", "KZT", POSITIVE),
        ("-0.50", "KZT", POSITIVE),
        ("abc", "KZT", PLAIN),
        ("NaN", "KZT", PLAIN),
        ("nan", "KZT", PLAIN),
        ("Infinity", "KZT", PLAIN),
        ("inf", "KZT", PLAIN),
        ("-Infinity", "KZT", PLAIN),
        ("1e3", "KZT", PLAIN),
        ("1E3", "KZT", PLAIN),
        ("1_000", "KZT", PLAIN),
        ("1,000.00", "KZT", PLAIN),
        ("1 000", "KZT", PLAIN),
        ("+5", "KZT", PLAIN),
        ("90.", "KZT", PLAIN),
        (".5", "KZT", PLAIN),
        ("0x10", "KZT", PLAIN),
        ("90 KZT", "KZT", PLAIN),
        ("٣", "KZT", PLAIN),  # ARABIC-INDIC DIGIT THREE
        ("９０", "KZT", PLAIN),  # FULLWIDTH DIGITS
        ("९०.००", "KZT", PLAIN),  # DEVANAGARI DIGITS
        ("1.5", "KZT", 150),
        ("90.001", "KZT", "KZT allows at most 2 digits after the point."),
        ("1.505", "IDR", "IDR allows at most 2 digits after the point."),
        ("1.00", "JPY", "JPY has no minor units: enter a whole number."),
        ("1.2345", "KWD", "KWD allows at most 3 digits after the point."),
    ],
)
def test_parse_amount(text: str, currency: str, expected: int | str) -> None:
    if isinstance(expected, int):
        assert parse_amount(text, currency) == expected
    else:
        with pytest.raises(AmountError) as caught:
            parse_amount(text, currency)
        assert str(caught.value) == expected


def test_parse_amount_result_is_an_exact_int() -> None:
    assert type(parse_amount("0.29", "USD")) is int
    assert parse_amount("0.29", "USD") == 29  # float arithmetic would give 28.999...


def test_parse_amount_accepts_exactly_the_maximum() -> None:
    assert parse_amount("1000000.00", "KZT", max_minor=100_000_000) == 100_000_000


def test_parse_amount_refuses_above_the_maximum() -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount("1000000.01", "KZT", max_minor=100_000_000)
    assert str(caught.value) == f"The amount must not exceed KZT{NBSP}1,000,000.00."


@pytest.mark.parametrize("digits", [25, 40, 5000])
def test_huge_number_is_an_amount_error_with_a_limit(digits: int) -> None:
    """Never an OverflowError or int()'s digit-limit ValueError: a message for the field."""
    with pytest.raises(AmountError) as caught:
        parse_amount("9" * digits, "KZT", max_minor=100_000_000)
    assert type(caught.value) is AmountError
    assert str(caught.value) == f"The amount must not exceed KZT{NBSP}1,000,000.00."


@pytest.mark.parametrize("digits", [19, 40, 5000])
def test_huge_number_is_an_amount_error_without_a_limit(digits: int) -> None:
    with pytest.raises(AmountError, match="^The amount is too large.$"):
        parse_amount("1" * digits, "KZT")


@pytest.mark.parametrize(
    ("major", "currency", "minor"),
    [
        ("1000000", "KZT", 100_000_000),
        ("0.01", "KZT", 1),
        (5, "JPY", 5),
        ("500000", "IDR", 50_000_000),
        (Decimal("1.234"), "KWD", 1234),
    ],
)
def test_to_minor(major: str | int | Decimal, currency: str, minor: int) -> None:
    result = to_minor(major, currency)
    assert result == minor
    assert type(result) is int


@pytest.mark.parametrize(("major", "currency"), [("0.5", "JPY"), ("1.001", "KZT")])
def test_to_minor_refuses_more_decimals_than_the_currency_has(major: str, currency: str) -> None:
    with pytest.raises(ValueError, match=f"more decimals than {currency} allows"):
        to_minor(major, currency)


def test_to_major_is_an_exact_decimal() -> None:
    assert to_major(1, "KWD") == Decimal("0.001")
    assert to_major(9000, "KZT") == Decimal("90.00")


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "text"),
    [
        (9000, "KZT", "en", f"KZT{NBSP}90.00"),
        (100_000, "IDR", "en", f"IDR{NBSP}1,000.00"),
        (123_456, "HUF", "ru", f"1{NBSP}234,56{NBSP}HUF"),
        (100_000, "IDR", "kk", f"1{NBSP}000,00{NBSP}IDR"),
        (1234, "KWD", "en", f"KWD{NBSP}1.234"),
        (123_456_789, "USD", "en", "$1,234,567.89"),
        (1000, "JPY", "en", "¥1,000"),
        (9000, "KZT", "ru", f"90,00{NBSP}KZT"),
        (5000, "RUB", "ru", f"50,00{NBSP}₽"),
    ],
)
def test_format_minor(minor: int, currency: str, locale: str, text: str) -> None:
    assert format_minor(minor, currency, locale) == text


def test_format_minor_is_english_by_default() -> None:
    assert format_minor(150, "USD") == "$1.50"


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (9000, "KZT", "90.00"),
        (5, "EUR", "0.05"),
        (100_000, "IDR", "1000.00"),
        (1234, "KWD", "1.234"),
        (123_456_789, "USD", "1234567.89"),
    ],
)
def test_format_plain(minor: int, currency: str, text: str) -> None:
    assert format_plain(minor, currency) == text


@pytest.mark.parametrize(
    ("minor", "currency"),
    [(1, "KZT"), (9000, "KZT"), (7, "IDR"), (7, "JPY"), (1001, "KWD"), (99, "USD")],
)
def test_format_plain_reads_back_as_the_same_amount(minor: int, currency: str) -> None:
    assert parse_amount(format_plain(minor, currency), currency) == minor

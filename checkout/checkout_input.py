"""What a merchant may ask for when creating a checkout, checked field by field.

The API and the back office's "new payment link" form both come through here, and every
rule the open form also applies is the form's own (`checkout.rules`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from checkout import catalogue, rules

FIELDS = (
    "site_login",
    "amount",
    "currency",
    "method",
    "language",
    "bank_app",
    "customer_type",
    "return_url",
    "metadata",
    "expires_in",
)
MAX_METADATA_BYTES = 4096
MIN_EXPIRES_IN = 300
MAX_EXPIRES_IN = 86_400
DEFAULT_EXPIRES_IN = 3_600
MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class CheckoutRequest:
    """A merchant's checkout, valid; None leaves a value to the customer (or the default)."""

    site_login: str
    amount: int | None
    currency: str | None
    method: str | None
    language: str | None
    bank_app: str | None
    customer_type: str
    return_url: str | None
    metadata: dict[str, Any] | None
    expires_in: int


class InvalidCheckout(ValueError):
    """Some fields break the rules: `errors` maps each to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def compact_json(value: Any) -> str:
    """Return JSON as stored and sized: no spaces, non-ASCII kept as is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def read_checkout_request(data: dict[str, Any]) -> CheckoutRequest:
    """Check a checkout's fields as the merchant sent them (JSON null = not sent).

    :raise InvalidCheckout: naming every field at fault, unknown ones included.
    """
    errors: dict[str, list[str]] = defaultdict(list)

    def check(name: str, rule: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return rule(*args, **kwargs)
        except rules.RuleError as error:
            errors[name].append(str(error))
            return None

    for name in data:
        if name not in FIELDS:
            errors[name].append("Unknown field.")
    site_login = check("site_login", login_of, data.get("site_login"))
    currency = check("currency", optional, rules.check_currency, data.get("currency"))
    amount = check("amount", amount_of, data.get("amount"))
    if amount is not None:
        if currency is None and "currency" not in errors:
            errors["currency"].append("Required with amount.")
        elif currency is not None:
            amount = check("amount", rules.check_amount_minor, amount, currency)
    method = check("method", optional, rules.check_method, data.get("method"))
    bank_app = None
    if "method" not in errors:
        bank_app = check("bank_app", bank_app_of, method, data.get("bank_app"))
    language = check("language", optional, rules.check_language, data.get("language"))
    customer_type = check("customer_type", customer_type_of, data.get("customer_type"))
    return_url = check("return_url", url_of, data.get("return_url"))
    metadata = check("metadata", metadata_of, data.get("metadata"))
    expires_in = check("expires_in", expires_in_of, data.get("expires_in"))
    if errors:
        raise InvalidCheckout(dict(errors))
    return CheckoutRequest(
        site_login=site_login,
        amount=amount,
        currency=currency,
        method=method,
        language=language,
        bank_app=bank_app,
        customer_type=customer_type,
        return_url=return_url,
        metadata=metadata,
        expires_in=expires_in,
    )


def text_of(value: Any) -> str | None:
    """Return a JSON string (or None for null); anything else is refused."""
    if value is not None and not isinstance(value, str):
        raise rules.RuleError("Must be a string.")
    return value


def login_of(value: Any) -> str:
    """Return the customer's login on the merchant's site, by the form's rule."""
    return rules.check_site_login(text_of(value))


def optional(rule: Callable[[str], Any], value: Any) -> Any:
    """Run a rule on a string field the merchant may leave out (null or "" = not sent)."""
    value = text_of(value)
    return rule(value) if value else None


def integer_of(value: Any, what: str) -> int:
    """Return a JSON integer (not a boolean, not 90.0)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise rules.RuleError(f"Must be {what}.")
    return value


def amount_of(value: Any) -> int | None:
    """Return the amount in minor units, or None: the customer enters it."""
    if value is None:
        return None
    return integer_of(value, "a whole number of minor units, e.g. 9000 for 90.00")


def bank_app_of(method: str | None, value: Any) -> str | None:
    """Return the bank app: only for methods that use one; None leaves it to the customer."""
    bank_app = text_of(value)
    if not bank_app:
        return None
    if not catalogue.method_needs_bank_app(method):
        raise rules.RuleError("Only with the method cis_transfer or cis_transfer_card.")
    return rules.check_bank_app(method, bank_app, required=False)


def customer_type_of(value: Any) -> str:
    """Return `trust` or `regular`; unset means the configured default."""
    if value is None:
        return catalogue.CustomerType(current_app.config["CUSTOMER_TYPE"])
    if not isinstance(value, str) or value not in set(catalogue.CustomerType):
        raise rules.RuleError("Must be trust or regular.")
    return value


def url_of(value: Any) -> str | None:
    """Return an absolute http(s) URL with nothing unprintable in it, or None."""
    if value is None or value == "":
        return None
    message = "Must be an absolute http or https URL."
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        raise rules.RuleError(f"{message[:-1]} of at most {MAX_URL_LENGTH} characters.")
    if not value.isprintable() or " " in value:
        raise rules.RuleError(message)
    try:
        parts = urlsplit(value)
    except ValueError:
        raise rules.RuleError(message) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise rules.RuleError(message)
    return value


def metadata_of(value: Any) -> dict[str, Any] | None:
    """Return a JSON object of at most 4 KB (serialized compactly), or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise rules.RuleError("Must be a JSON object.")
    if len(compact_json(value).encode("utf-8")) > MAX_METADATA_BYTES:
        raise rules.RuleError(f"Must be at most {MAX_METADATA_BYTES} bytes as JSON.")
    return value


def expires_in_of(value: Any) -> int:
    """Return seconds from 300 to 86,400; unset means 3,600."""
    if value is None:
        return DEFAULT_EXPIRES_IN
    seconds = integer_of(value, "a whole number of seconds")
    if not MIN_EXPIRES_IN <= seconds <= MAX_EXPIRES_IN:
        raise rules.RuleError(f"Must be from {MIN_EXPIRES_IN} to {MAX_EXPIRES_IN} seconds.")
    return seconds

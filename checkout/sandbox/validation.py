"""The sandbox's obtain_token checks: as strict as a real gateway, field by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from checkout import catalogue, signing


class TokenRequestError(Exception):
    """An obtain_token request the sandbox refuses; names the field at fault."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


@dataclass(frozen=True)
class SandboxCredentials:
    """The one merchant the sandbox knows, and how its requests are signed."""

    merchant_id: str
    site_id: int
    secret: str
    scheme: str


REQUIRED_TEXT = ("merchant_id", "site_login", "request_id", "currency", "signature")
OPTIONAL_TEXT = ("method", "customer_type", "language", "success_url", "fail_url")
MAX_REQUEST_ID_LENGTH = 64
MAX_AMOUNT = 2**63 - 1


def validate_token_request(payload: Any, credentials: SandboxCredentials) -> dict[str, Any]:
    """Return the request's fields, signature left out, when they would satisfy the gateway.

    :raise TokenRequestError: naming the first field at fault.
    """
    if not isinstance(payload, Mapping):
        raise TokenRequestError("body", "the body must be a JSON object")
    for name in REQUIRED_TEXT:
        value = payload.get(name)
        if value is None or value == "":
            raise TokenRequestError(name, f"{name} is required")
        if not isinstance(value, str):
            raise TokenRequestError(name, f"{name} must be a string")
    for name in ("site_id", "amount"):
        value = payload.get(name)
        if value is None:
            raise TokenRequestError(name, f"{name} is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise TokenRequestError(name, f"{name} must be an integer")
    for name in OPTIONAL_TEXT:
        if payload.get(name) is not None and not isinstance(payload[name], str):
            raise TokenRequestError(name, f"{name} must be a string")
    for name in (*REQUIRED_TEXT, *OPTIONAL_TEXT):
        # Stored, shown and sent back in a Location header: no NUL, CR, LF and the like.
        if not (payload.get(name) or "").isprintable():
            raise TokenRequestError(name, f"{name} contains characters that are not allowed")

    if len(payload["request_id"]) > MAX_REQUEST_ID_LENGTH:
        raise TokenRequestError(
            "request_id", f"request_id must be at most {MAX_REQUEST_ID_LENGTH} characters"
        )
    if not 0 < payload["amount"] <= MAX_AMOUNT:
        raise TokenRequestError("amount", "amount must be a positive number of minor units")
    if not catalogue.is_iso_currency(payload["currency"]):
        raise TokenRequestError("currency", f"unknown currency {payload['currency']!r}")
    method = payload.get("method") or None
    if method is not None and method not in catalogue.METHODS_BY_CODE:
        raise TokenRequestError("method", f"unknown method {method!r}")
    language = payload.get("language") or None
    if language is not None and language not in catalogue.LANGUAGES_BY_CODE:
        raise TokenRequestError("language", f"unknown language {language!r}")
    for name in ("success_url", "fail_url"):
        url = payload.get(name)
        if url and not _is_absolute_http_url(url):
            raise TokenRequestError(name, f"{name} must be an absolute http(s) URL")
    _check_additional_fields(payload.get("additional_fields"), method)

    if payload["merchant_id"] != credentials.merchant_id:
        raise TokenRequestError("merchant_id", "unknown merchant_id", status=403)
    if payload["site_id"] != credentials.site_id:
        raise TokenRequestError("site_id", "site_id does not belong to this merchant", status=403)
    try:
        signing.verify(payload, credentials.secret, credentials.scheme)
    except signing.SignatureError as error:
        raise TokenRequestError("signature", str(error), status=403) from None
    return {name: value for name, value in payload.items() if name != signing.SIGNATURE_FIELD}


def _is_absolute_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        _ = parts.port  # reading it checks it: "http://host:x/" raises ValueError too
    except ValueError:  # e.g. "http://[::1/pay": an unclosed IPv6 bracket
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _check_additional_fields(additional: Any, method: str | None) -> None:
    """Require `additional_fields.bank_app` for the transfer methods; it is sberbank or tbank."""
    if additional is not None and not isinstance(additional, Mapping):
        raise TokenRequestError("additional_fields", "additional_fields must be an object")
    bank_app = (additional or {}).get("bank_app")
    if bank_app is None:
        if catalogue.method_needs_bank_app(method):
            raise TokenRequestError(
                "additional_fields.bank_app",
                f"additional_fields.bank_app is required for {method}",
            )
        return
    if bank_app not in tuple(catalogue.BankApp):
        raise TokenRequestError(
            "additional_fields.bank_app", "additional_fields.bank_app must be sberbank or tbank"
        )

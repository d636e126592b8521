"""Signatures of gateway messages: pure functions, one pluggable scheme per gateway setup.

Every scheme signs the same canonical string (DESIGN §4): all fields but `signature`,
empty ones dropped, values rendered as text (objects as compact sorted JSON), sorted by
name and joined as `name=value` with `&`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

SIGNATURE_FIELD = "signature"


class SignatureError(Exception):
    """A message's signature is missing, malformed or does not match."""


class UnsignableValueError(ValueError):
    """A field holds a value the canonical form cannot render (a float, a bool, a list...)."""


def render_value(value: Any) -> str:
    """Render one field value as it enters the canonical string."""
    if isinstance(value, bool):
        raise UnsignableValueError("booleans have no canonical form")
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    raise UnsignableValueError(f"cannot sign a value of type {type(value).__name__}")


def canonical_string(fields: Mapping[str, Any]) -> str:
    """Return the string every scheme signs, from a message's fields."""
    parts = [
        f"{name}={render_value(value)}"
        for name, value in sorted(fields.items())
        if name != SIGNATURE_FIELD and value is not None and value != ""
    ]
    return "&".join(parts)


def _hmac_sha256(message: str, secret: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _md5(message: str, secret: str) -> str:
    # Weak, but common among the region's gateways: md5 of the string with the secret appended.
    return hashlib.md5((message + secret).encode(), usedforsecurity=False).hexdigest()


SCHEMES: dict[str, Callable[[str, str], str]] = {
    "hmac-sha256": _hmac_sha256,
    "md5": _md5,
}


def check_scheme(scheme: str) -> None:
    """Refuse an unknown scheme name early, with the list of known ones.

    :raise ValueError: when the scheme is not registered.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown signature scheme {scheme!r}; use one of {', '.join(SCHEMES)}")


def sign(fields: Mapping[str, Any], secret: str, scheme: str = "hmac-sha256") -> str:
    """Return the lowercase hex signature of `fields` under `scheme`."""
    check_scheme(scheme)
    return SCHEMES[scheme](canonical_string(fields), secret)


def verify(fields: Mapping[str, Any], secret: str, scheme: str = "hmac-sha256") -> None:
    """Check the `signature` field of a message in constant time.

    :raise SignatureError: when it is missing or does not match.
    """
    received = fields.get(SIGNATURE_FIELD)
    if not isinstance(received, str) or not received:
        raise SignatureError("missing signature")
    try:
        expected = sign(fields, secret, scheme)
    except UnsignableValueError as error:
        raise SignatureError(f"unsignable field: {error}") from None
    if not hmac.compare_digest(expected.encode(), received.strip().lower().encode()):
        raise SignatureError("signature does not match")


def signed(fields: Mapping[str, Any], secret: str, scheme: str = "hmac-sha256") -> dict:
    """Return a copy of `fields` with a valid `signature` added (for senders and tests)."""
    message = {name: value for name, value in fields.items() if name != SIGNATURE_FIELD}
    return {**message, SIGNATURE_FIELD: sign(message, secret, scheme)}

"""Signatures of gateway messages: pure functions, one pluggable scheme per gateway setup.

Every scheme signs the same canonical string (docs/callbacks.md):

1. every field but `signature`; a field whose value is JSON `null` or `""` is left out;
2. each value rendered once, the same way for every sender:
   - a string as itself; an integer as its decimal digits (any size);
   - anything else — `true`, `false`, a number with a fraction or an exponent, an array,
     an object — as its JSON text canonicalised by RFC 8785 (JCS): no spaces, object keys
     sorted, numbers as ECMAScript writes them (`1.5`, `2.0` → `2`, `1e21` → `1e+21`),
     non-ASCII kept as is. JCS libraries exist for every common language, so a sender
     reproduces it exactly. Inside arrays and objects `null` and `""` are values and stay;
     numbers there are IEEE doubles, so an integer beyond ±(2^53 - 1) cannot be signed;
3. `name=value` pairs sorted by name (code points) and joined with `&`.

The string is not escaped, so values we sign never hold `&`, `=` or control characters
(`is_signable_text`): otherwise one message's string could be another's.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import Any

import rfc8785

SIGNATURE_FIELD = "signature"


class SignatureError(Exception):
    """A message's signature is missing, malformed or does not match."""


class UnsignableValueError(ValueError):
    """A field holds a value the canonical form cannot render (NaN, a lone surrogate...)."""


def render_value(value: Any) -> str:
    """Render one field value as it enters the canonical string (see the module's rules).

    :raise UnsignableValueError: for what JSON cannot carry exactly: NaN or infinity, an
        integer beyond ±(2^53 - 1) inside an array or object, text that is not Unicode.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    try:
        return rfc8785.dumps(value).decode()
    except (rfc8785.CanonicalizationError, TypeError) as error:
        raise UnsignableValueError(str(error)) from None


def canonical_string(fields: Mapping[str, Any]) -> str:
    """Return the string every scheme signs, from a message's fields.

    :raise UnsignableValueError: when a field name or value has no canonical form.
    """
    parts = [
        f"{name}={render_value(value)}"
        for name, value in sorted(fields.items())
        if name != SIGNATURE_FIELD and value is not None and value != ""
    ]
    message = "&".join(parts)
    try:
        message.encode()
    except UnicodeEncodeError:
        # A lone surrogate (JSON's "\ud800") has no UTF-8 form for a digest to cover.
        raise UnsignableValueError("a field is not valid Unicode text") from None
    return message


def is_signable_text(text: str) -> bool:
    """Tell whether free text (a customer's login...) may go into a message we sign.

    `&` and `=` build the canonical string and control characters hide in it; a value
    holding one could turn the string we sign for one message into another message's,
    e.g. `site_login=x&status=success` into a callback. Refusing them at the door keeps
    every signature we produce valid for its own message only.
    """
    return text.isprintable() and not any(char in text for char in "&=")


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


def signed(fields: Mapping[str, Any], secret: str, scheme: str = "hmac-sha256") -> dict[str, Any]:
    """Return a copy of `fields` with a valid `signature` added (for senders and tests)."""
    message = {name: value for name, value in fields.items() if name != SIGNATURE_FIELD}
    return {**message, SIGNATURE_FIELD: sign(message, secret, scheme)}

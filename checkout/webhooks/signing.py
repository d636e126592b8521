"""Standard Webhooks signatures, made by the `standardwebhooks` library.

The merchant verifies with any Standard Webhooks library, in any language: we sign with
one too, rather than re-deriving the scheme by hand.
"""

from __future__ import annotations

import base64
import binascii
import functools
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
# The specification asks for 24 to 64 random bytes; fewer is guessable.
MIN_SECRET_BYTES = 24


def secret_bytes(secret: str) -> bytes:
    """Return the key inside a `whsec_` secret.

    :raise ValueError: when it lacks the prefix, is not base64 or is empty.
    """
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError(f"must be {SECRET_PREFIX} followed by base64") from None
    if not key:
        raise ValueError(f"must be {SECRET_PREFIX} followed by base64")
    return key


@functools.cache
def signer(secret: str) -> Webhook:
    """Return the signer of a secret, its key decoded once rather than for every attempt."""
    return Webhook(secret)


def headers(secret: str, webhook_id: str, body: str, at: datetime) -> dict[str, str]:
    """Return the Standard Webhooks headers of one delivery attempt at time `at` (UTC)."""
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signer(secret).sign(webhook_id, moment, body),
    }

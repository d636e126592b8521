"""`Idempotency-Key` for creating checkouts: a retried request gets the first answer again.

As the IETF draft "The Idempotency-Key HTTP Header Field" describes: the same key with the
same body gives the stored answer and creates nothing; the same key with another body is
refused. The key's row is written in the transaction that creates the checkout, under a
unique constraint, so two requests racing with one key create one checkout between them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from checkout.extensions import db
from checkout.models import IdempotencyKey, utcnow

# Keys are kept at least this long; `flask checkouts housekeeping` deletes older ones.
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class KeyReused(Exception):
    """The key was first used with a different body."""


@dataclass(frozen=True)
class StoredAnswer:
    """The answer first given for a key."""

    status_code: int
    body: str


def check_key(key: str) -> str:
    """Return the key if it is 1 to 255 printable ASCII characters.

    :raise ValueError: otherwise.
    """
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in key):
        raise ValueError(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."
        )
    return key


def fingerprint(body: dict[str, Any]) -> str:
    """Return the SHA-256 of the body as parsed: spacing and key order do not matter."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def stored_answer(key: str, body_fingerprint: str) -> StoredAnswer | None:
    """Return the answer stored for a key, or None if the key is new.

    :raise KeyReused: when the key was used with another body.
    """
    row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key))
    if row is None:
        return None
    if row.fingerprint != body_fingerprint:
        raise KeyReused(key)
    return StoredAnswer(row.status_code, row.response_body)


def remember(key: str, body_fingerprint: str, answer: StoredAnswer) -> None:
    """Store a key's answer in the caller's transaction (its commit may hit the constraint)."""
    db.session.add(
        IdempotencyKey(
            key=key,
            fingerprint=body_fingerprint,
            status_code=answer.status_code,
            response_body=answer.body,
        )
    )


def purge_keys(now: datetime | None = None) -> int:
    """Delete the keys older than `KEY_LIFETIME`; return how many."""
    cutoff = (now or utcnow()) - KEY_LIFETIME
    result = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    db.session.commit()
    return result.rowcount

"""`Idempotency-Key` for creating checkouts: a retried request gets the first answer again.

As the IETF draft "The Idempotency-Key HTTP Header Field" describes: the same key with the
same body gives the stored answer and creates nothing; the same key with another body is
refused. The key's row is written in the transaction that creates the checkout, under a
unique constraint, so two requests racing with one key create one checkout between them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from checkout.extensions import db
from checkout.models import utcnow
from checkout.repository import checkouts as stored_checkouts

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
    row = stored_checkouts.find_key(key)
    if row is None:
        return None
    if row.fingerprint != body_fingerprint:
        raise KeyReused(key)
    return StoredAnswer(row.status_code, row.response_body)


def remember(key: str, body_fingerprint: str, answer: StoredAnswer) -> None:
    """Store a key's answer in the caller's transaction.

    :raise IntegrityError: when a request with the same key stored its answer first.
    """
    stored_checkouts.insert_key(key, body_fingerprint, answer.status_code, answer.body)


def create_once(
    key: str | None, body: dict[str, Any], create: Callable[[], StoredAnswer]
) -> tuple[StoredAnswer, bool]:
    """Create something for a request at most once per key, and commit.

    Without a key, `create` runs and commits. With one, a key used before gets its stored
    answer back; a new key is stored with the creation, in its transaction.

    :return: the answer, and whether it is a replay of the stored one.
    :raise KeyReused: when the key was used with another body.
    """
    if key is None:
        answer = create()
        db.session.commit()
        return answer, False
    body_fingerprint = fingerprint(body)
    stored = stored_answer(key, body_fingerprint)
    if stored is not None:
        return stored, True
    answer = create()
    try:
        remember(key, body_fingerprint, answer)
        db.session.commit()
    except IntegrityError:
        # Another request with this key committed first: it created, we did not.
        db.session.rollback()
        stored = stored_answer(key, body_fingerprint)
        if stored is None:  # pragma: no cover - the unique row cannot vanish
            raise RuntimeError("idempotency key conflict without a stored answer") from None
        return stored, True
    return answer, False


def purge_keys(now: datetime | None = None) -> int:
    """Delete the keys older than `KEY_LIFETIME`; return how many."""
    cutoff = (now or utcnow()) - KEY_LIFETIME
    purged = stored_checkouts.delete_keys_before(cutoff)
    db.session.commit()
    return purged

"""Replaying a stored callback through the very path a live one takes, for operators.

A replay is a new callback record (copying the stored body, content type and headers, and
naming the original in its headers) handed to `callbacks.process`: verified and applied as
any other, so replaying an already applied callback is a duplicate that changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from checkout import callbacks
from checkout.extensions import db
from checkout.models import CallbackOutcome, CallbackRecord
from checkout.repository import callbacks as stored_callbacks

REPLAY_HEADER = "X-Replay-Of"


class CallbackNotFound(LookupError):
    """No stored callback has this id."""


@dataclass(frozen=True)
class Replay:
    """The new record made by a replay, its outcome, and the refusal message if refused."""

    record: CallbackRecord
    outcome: CallbackOutcome
    message: str | None = None


def replay_of(record: CallbackRecord) -> str | None:
    """Return the id of the callback this record replays, if it is a replay."""
    return (record.headers or {}).get(REPLAY_HEADER)


def replay(callback_id: int) -> Replay:
    """Store a copy of callback `callback_id` and process it as if it had just arrived.

    :raise CallbackNotFound: when no callback has that id.
    """
    original = stored_callbacks.find(callback_id)
    if original is None:
        raise CallbackNotFound(callback_id)
    record = CallbackRecord(
        source_ip=original.source_ip,
        content_type=original.content_type,
        headers={**(original.headers or {}), REPLAY_HEADER: str(original.id)},
        body=original.body,
        body_truncated=original.body_truncated,
    )
    callbacks.keep(record)
    db.session.commit()  # stored first, like every callback
    try:
        outcome = callbacks.process(record)
    except callbacks.CallbackRejected as rejection:
        return Replay(record, rejection.outcome, rejection.message)
    except Exception as error:
        # process() kept the copy with outcome `error`, as it does for a live callback; the
        # operator gets that answer, not a traceback of what a stored body can provoke.
        current_app.logger.error(
            "event=callback_replay_failed id=%s copy=%s error=%s",
            callback_id,
            record.id,
            type(error).__name__,
        )
        return Replay(record, CallbackOutcome.ERROR, f"processing failed: {type(error).__name__}")
    return Replay(record, outcome)

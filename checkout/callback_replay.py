"""Replaying a stored callback through the very path a live one takes, for operators.

A replay is a new callback record (copying the stored body, content type and headers, and
naming the original in its headers) handed to `callbacks.process`: verified and applied as
any other, so replaying an already applied callback is a duplicate that changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from checkout import callbacks, logs
from checkout.extensions import db
from checkout.models import CallbackOutcome, CallbackRecord
from checkout.repository import callbacks as stored_callbacks

log = structlog.get_logger(__name__)

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
        http_request_id=logs.current_request_id(),  # the back office's request; none from the CLI
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
        log.error(
            "callback_replay_failed", id=callback_id, copy=record.id, error=type(error).__name__
        )
        return Replay(record, CallbackOutcome.ERROR, f"processing failed: {type(error).__name__}")
    return Replay(record, outcome)

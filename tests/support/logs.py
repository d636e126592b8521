"""Reading log lines in tests: the structured fields pytest captured, or what reached stderr."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def logged(caplog: pytest.LogCaptureFixture, event: str) -> list[dict]:
    """Return the fields of every structured line about `event`, in order."""
    return [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == event
    ]


@contextmanager
def log_output() -> Iterator[io.StringIO]:
    """Capture what the app's own log handler writes, exactly as it would reach stderr."""
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "checkout_handler", False)]
    output = io.StringIO()
    previous = handler.setStream(output)
    yield output
    handler.setStream(previous)

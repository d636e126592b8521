"""Waiting for something to happen: poll a condition until a deadline, never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
# Short enough to notice a change at once, long enough to leave the CPU to what we wait for.
INTERVAL = 0.02


def wait_for(
    condition: Callable[[], T],
    timeout: float = 10.0,
    message: str | Callable[[], str] = "timed out waiting",
) -> T:
    """Call `condition` until it returns something true, and return that.

    :raise AssertionError: after `timeout` seconds, with `message` (a function is called
        then, so that it can read a log written meanwhile).
    """
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() >= deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(INTERVAL)
    return result

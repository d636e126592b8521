"""The first attempt goes at once; then one retry after each delay, a little late at random."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from checkout.webhooks.delivery import JITTER, next_attempt_at

NOW = datetime(2026, 11, 28, 12, 0, 0)
DELAYS = [5.0, 300.0, 1800.0]


@pytest.mark.parametrize(("attempts_made", "delay"), [(1, 5), (2, 300), (3, 1800)])
def test_each_failed_attempt_waits_its_delay_plus_a_little_jitter(attempts_made, delay):
    waits = {
        next_attempt_at(attempts_made, DELAYS, NOW, random.Random(seed)) - NOW for seed in range(50)
    }
    assert all(
        timedelta(seconds=delay) <= wait <= timedelta(seconds=delay * (1 + JITTER))
        for wait in waits
    )
    assert len(waits) > 40, "retries of events that failed together are spread out"


def test_after_the_last_retry_there_is_none():
    assert next_attempt_at(len(DELAYS) + 1, DELAYS, NOW, random.Random(1)) is None
    assert next_attempt_at(1, [], NOW, random.Random(1)) is None

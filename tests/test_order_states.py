"""The order state machine: what an authentic report does to each state."""

from __future__ import annotations

import pytest

from checkout.models import CallbackOutcome as Outcome
from checkout.models import OrderStatus as S
from checkout.orders import decide


@pytest.mark.parametrize(
    ("current", "reported", "target", "outcome"),
    [
        (S.CREATED, S.PENDING, S.PENDING, Outcome.ACCEPTED),
        (S.CREATED, S.PAID, S.PAID, Outcome.ACCEPTED),
        (S.CREATED, S.FAILED, S.FAILED, Outcome.ACCEPTED),
        (S.PENDING, S.PAID, S.PAID, Outcome.ACCEPTED),
        (S.PENDING, S.FAILED, S.FAILED, Outcome.ACCEPTED),
        (S.PENDING, S.EXPIRED, S.EXPIRED, Outcome.ACCEPTED),
        (S.PENDING, S.PENDING, None, Outcome.DUPLICATE),
        (S.PAID, S.PAID, None, Outcome.DUPLICATE),
        (S.PAID, S.FAILED, None, Outcome.IGNORED_AFTER_PAID),
        (S.PAID, S.EXPIRED, None, Outcome.IGNORED_AFTER_PAID),
        (S.PAID, S.PENDING, None, Outcome.IGNORED_FINAL),
        (S.FAILED, S.PAID, S.PAID, Outcome.ACCEPTED),
        (S.EXPIRED, S.PAID, S.PAID, Outcome.ACCEPTED),
        (S.FAILED, S.FAILED, None, Outcome.DUPLICATE),
        (S.FAILED, S.EXPIRED, None, Outcome.IGNORED_FINAL),
        (S.EXPIRED, S.FAILED, None, Outcome.IGNORED_FINAL),
        (S.FAILED, S.PENDING, None, Outcome.IGNORED_FINAL),
    ],
)
def test_decide(current, reported, target, outcome):
    assert decide(current, reported) == (target, outcome)

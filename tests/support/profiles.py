"""Hypothesis profiles: a quick look on a laptop, a thorough one in CI (`CI=true`)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.support.services import in_ci

# Requests go through the database, so no per-example deadline.
settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def load() -> None:
    """Load the profile of this run: `ci` in CI, `dev` elsewhere."""
    settings.load_profile("ci" if in_ci() else "dev")

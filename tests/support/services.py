"""The services some tests need (PostgreSQL, Redis, nginx, Chromium): skipped on a laptop
without them, a failure in CI (`CI=true`), where every one must be installed."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

POSTGRES_HINT = (
    "PostgreSQL tests need TEST_DATABASE_URL, e.g. "
    "postgresql+psycopg://checkout:checkout@127.0.0.1/checkout_test "
    "(CI sets it; see docs/testing.md)"
)
REDIS_HINT = (
    "Redis tests need TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0 "
    "(apt-get install redis-server; CI sets it; see docs/testing.md)"
)


def in_ci() -> bool:
    """Tell whether this is a CI run, where nothing may be skipped for want of a service."""
    return os.environ.get("CI") == "true"


def unavailable(hint: str) -> NoReturn:
    """Skip the test for want of a service, or fail it in CI."""
    if in_ci():
        pytest.fail(f"CI runs every test: {hint}", pytrace=False)
    pytest.skip(hint)


def postgres_url() -> str | None:
    """Return the PostgreSQL URL for tests, if this machine provides one."""
    return os.environ.get("TEST_DATABASE_URL") or None


def required_postgres_url() -> str:
    """Return the PostgreSQL URL, skipping the test without one (failing it in CI)."""
    return postgres_url() or unavailable(POSTGRES_HINT)


def required_redis_url() -> str:
    """Return the Redis URL for tests, skipping the test without one (failing it in CI)."""
    return os.environ.get("TEST_REDIS_URL") or unavailable(REDIS_HINT)

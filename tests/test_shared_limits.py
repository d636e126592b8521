"""Two app instances on one Redis count one limit: a second machine never doubles it.

Each instance is its own gunicorn (with gunicorn.conf.py) on its own port, as two machines
behind a load balancer would be; requests alternate between them.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import redis
import requests

from tests.support.apps import close_app, make_app, migrate_to_head
from tests.support.gunicorn import gunicorn
from tests.support.services import required_redis_url

# Slow: two gunicorn instances.
pytestmark = pytest.mark.slow

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ATTEMPTS = 10
LIMIT = 6


@pytest.fixture
def two_instances(tmp_path) -> Iterator[tuple[list[str], str, str]]:
    """Start two gunicorn instances on one database and one Redis; yield their URLs."""
    redis_url = required_redis_url()
    prefix = "test-" + secrets.token_hex(6)  # this run's counts only
    database_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    app = make_app(database_url)
    migrate_to_head(app)  # so that neither instance migrates at start
    close_app(app)
    env = {
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "CHECKOUT_RATE_LIMIT": f"{LIMIT} per minute",
        "ADMIN_USERNAME": "merchant",
        "ADMIN_PASSWORD": "a long admin passphrase",
        "ADMIN_LOGIN_RATE_LIMIT": "3 per minute",
        "WEB_CONCURRENCY": "1",
    }
    with ExitStack() as instances:
        urls = [
            instances.enter_context(
                gunicorn(env=env, log_path=tmp_path / f"instance-{index}.log")
            ).url
            for index in range(2)
        ]
        yield urls, redis_url, prefix


def alternate(urls: list[str], path: str, data: dict) -> list[tuple[int, int]]:
    """Post ATTEMPTS times, alternating between the instances; return (instance, status)."""
    answers = []
    with requests.Session() as browser:
        # One browser: a session cookie signed with the SECRET_KEY both instances share.
        page = browser.get(urls[0] + path, timeout=10).text
        token = CSRF_FIELD.search(page).group(1)
        for attempt in range(ATTEMPTS):
            instance = attempt % 2
            answer = browser.post(
                urls[instance] + path, data={**data, "csrf_token": token}, timeout=10
            )
            answers.append((instance, answer.status_code))
    return answers


def figures(answers: list[tuple[int, int]], allowed: int) -> dict[int, Counter]:
    """Count, per instance, the requests let through (`allowed` status) and refused (429)."""
    counts: dict[int, Counter] = {0: Counter(), 1: Counter()}
    for instance, status in answers:
        assert status in {allowed, 429}, status
        counts[instance]["allowed" if status == allowed else "refused"] += 1
    return counts


def test_two_instances_share_one_checkout_limit(two_instances):
    urls, redis_url, prefix = two_instances
    # An invalid form is refused with 422 after the limit counted it.
    answers = alternate(urls, "/", {"amount": "", "currency": "KZT", "site_login": "alice"})
    counts = figures(answers, allowed=422)
    print(f"checkout, {LIMIT} per minute over two instances: {dict(counts)}")
    assert [status for _, status in answers] == [422] * LIMIT + [429] * (ATTEMPTS - LIMIT)
    assert counts == {
        0: Counter(allowed=3, refused=2),
        1: Counter(allowed=3, refused=2),
    }
    # The count lives in Redis, under this run's prefix.
    assert redis.Redis.from_url(redis_url).keys(f"LIMITS:LIMITER/{prefix}/*submit_checkout*")


def test_two_instances_share_one_admin_sign_in_limit(two_instances):
    urls, _, _ = two_instances
    answers = alternate(urls, "/admin/login", {"username": "merchant", "password": "guess"})
    counts = figures(answers, allowed=403)
    print(f"admin sign-in, 3 per minute over two instances: {dict(counts)}")
    assert [status for _, status in answers] == [403] * 3 + [429] * (ATTEMPTS - 3)
    assert counts == {0: Counter(allowed=2, refused=3), 1: Counter(allowed=1, refused=4)}

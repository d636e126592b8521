"""The whole demo loop under `gunicorn -w 1 -k sync` in development, as `make demo` sets it
up: the shop calls the Checkouts API on its own site, the sandbox calls back, the in-process
worker delivers the webhook to the shop — all through one worker that serves one request at
a time, with bounded time-outs so that a deadlock fails instead of hanging."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.demo_shop.helpers import HTTP_TIMEOUT, deposit, pay
from tests.support.gunicorn import one_sync_worker
from tests.support.wait import wait_for

BALANCE = re.compile(r'class="balance-amount">([^<]+)<')


@pytest.fixture
def demo(tmp_path) -> Iterator[tuple[str, Path]]:
    """Serve the development app with one sync worker on a free port; yield its URL and log."""
    env = {
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "SANDBOX_CALLBACK_BACKOFF": "0.2",
        "WEBHOOK_POLL_INTERVAL": "0.1",
        # Empty is unset, whatever the shell says: development sends webhooks to the shop.
        "MERCHANT_WEBHOOK_URL": "",
        "DEMO_SHOP_ENABLED": "",
    }
    with one_sync_worker(env, tmp_path / "gunicorn.log") as served:
        yield served.url, served.log_path


@pytest.mark.slow
def test_a_deposit_is_credited_under_one_sync_worker(demo):
    base, log_path = demo
    with requests.Session() as user:
        checkout_url = deposit(user, base)  # the shop → the API on its own site
        assert checkout_url.startswith(base + "/c/"), log_path.read_text()
        pay(user, checkout_url)

        def balance() -> list[str]:
            page = user.get(base + "/demo-shop/", timeout=HTTP_TIMEOUT).text
            return BALANCE.findall(page)

        assert wait_for(balance, timeout=20) == ["KZT\u00a090.00"], log_path.read_text()
    assert f"url={base}/demo-shop/webhooks" in log_path.read_text()

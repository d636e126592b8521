"""The browser fixtures of tests/support/browser.py (one Chromium, a context per page,
screenshots of failures), and the demo shop served on a real port with its webhooks delivered
in-process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.demo_shop.helpers import make_shop_app, serve_shop
from tests.support.browser import (  # noqa: F401 (fixtures and the report hook)
    browser,
    open_page,
    page,
    pytest_runtest_makereport,
)
from tests.support.live import LiveServer


@pytest.fixture
def start_shop(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Return a function serving a fresh app with the shop (SQLite, embedded sandbox)."""
    stops: list[Callable[[], None]] = []

    def start(**overrides: object) -> LiveServer:
        database = tmp_path / f"shop-{len(stops)}.sqlite3"
        server, stop = serve_shop(make_shop_app(f"sqlite:///{database}", **overrides))
        stops.append(stop)
        return server

    yield start
    for stop in reversed(stops):
        stop()

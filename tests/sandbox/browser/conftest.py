"""Browser fixtures for the sandbox's journeys: those of tests/support/browser.py, and the app
on a real port with its embedded sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.sandbox.helpers import make_sandbox_app
from tests.support.apps import close_app
from tests.support.browser import (  # noqa: F401 (fixtures and the report hook)
    browser,
    open_page,
    page,
    pytest_runtest_makereport,
)
from tests.support.live import LiveServer, serve

# Callback retries wait 0.05, 0.1, 0.2 s... instead of 2, 4, 8 s.
FAST_CALLBACKS = {"SANDBOX_CALLBACK_BACKOFF": 0.05}


@pytest.fixture
def start_site(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Return a function serving a fresh app (SQLite, embedded sandbox) on a real port."""
    started: list[tuple[LiveServer, Callable[[], None]]] = []

    def start(**overrides: object) -> LiveServer:
        database = tmp_path / f"site-{len(started)}.sqlite3"
        app = make_sandbox_app(f"sqlite:///{database}", **{**FAST_CALLBACKS, **overrides})
        server, stop = serve(app)
        started.append((server, stop))
        return server

    yield start
    for server, stop in reversed(started):
        close_app(server.app)  # first: callbacks still being retried are abandoned
        stop()


@pytest.fixture
def site(start_site: Callable[..., LiveServer]) -> LiveServer:
    """Serve the checkout with its sandbox answering with a key (the iframe path)."""
    return start_site()

"""Browser fixtures: one Chromium per session, a fresh context per test, the app on a real
port with its embedded sandbox, and a screenshot kept for every test that fails.

Chromium is Debian's (`apt-get install chromium`), driven by Playwright's Python package.
Without it these tests are skipped, except in CI (`CI=true`), where that is a failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from scripts.browser import CHROMIUM, chromium_available, launch
from tests.support.apps import close_app, make_app
from tests.support.live import LiveServer, serve
from tests.support.services import unavailable

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_HINT = (
    f"browser tests need Chromium at {CHROMIUM}: install it with `apt-get install chromium` "
    "(or point CHROMIUM_PATH at another Chromium)"
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Long enough for a loaded machine, short enough that a broken page fails in seconds.
TIMEOUT_MS = 10_000
# Callback retries wait 0.05, 0.1, 0.2 s... instead of 2, 4, 8 s.
FAST_CALLBACKS = {"SANDBOX_CALLBACK_BACKOFF": 0.05}

REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()

expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep each phase's report on the test, so fixtures can tell whether it failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


def failed(node: pytest.Item) -> bool:
    """Tell whether a test's set-up or body failed."""
    reports = node.stash.get(REPORTS, {})
    return any(report.failed for report in reports.values())


class SharedBrowser:
    """One Playwright and one Chromium for the whole session, however many test folders ask.

    Playwright's sync API runs one per thread: a second folder's session fixture starting
    its own while this one lives fails with "Sync API inside the asyncio loop".
    """

    def __init__(self) -> None:
        self.users = 0
        self.playwright = None
        self.browser: Browser | None = None

    def acquire(self) -> Browser:
        if self.users == 0:
            self.playwright = sync_playwright().start()
            self.browser = launch(self.playwright)
        self.users += 1
        return self.browser

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            self.browser.close()
            self.playwright.stop()


SHARED = SharedBrowser()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch one headless Chromium for the whole session (contexts keep tests apart)."""
    if not chromium_available():
        unavailable(CHROMIUM_HINT)
    yield SHARED.acquire()
    SHARED.release()


@pytest.fixture
def open_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """Return a function opening a page in a new context of a given viewport.

    When the test fails, every page it opened is saved to test-artifacts/ as a full-page
    screenshot, with the page's console errors beside it.
    """
    opened: list[tuple[Page, list[str]]] = []

    def open_(viewport: dict[str, int] = DESKTOP) -> Page:
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        opened.append((page, errors))
        return page

    yield open_
    keep = failed(request.node)
    for number, (page, errors) in enumerate(opened):
        if keep:
            save_artifacts(request.node.nodeid, number, page, errors)
        page.context.close()


def save_artifacts(nodeid: str, number: int, page: Page, errors: list[str]) -> None:
    """Save a failed test's page as a screenshot, with its URL and console errors."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("/")[-1]) + (
        f"-{number}" if number else ""
    )
    try:
        page.screenshot(path=ARTIFACTS / f"{stem}.png", full_page=True, timeout=5_000)
    except Exception as error:  # a crashed page still gets its notes written
        errors.append(f"(no screenshot: {error})")
    notes = [f"url: {page.url}", *(f"console: {line}" for line in errors)]
    (ARTIFACTS / f"{stem}.txt").write_text("\n".join(notes) + "\n", encoding="utf-8")


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    """Return a desktop-width page."""
    return open_page(DESKTOP)


@pytest.fixture
def start_site(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Return a function serving a fresh app (SQLite, embedded sandbox) on a real port."""
    started: list[tuple[LiveServer, Callable[[], None]]] = []

    def start(**overrides: object) -> LiveServer:
        database = tmp_path / f"site-{len(started)}.sqlite3"
        app = make_app(f"sqlite:///{database}", **{**FAST_CALLBACKS, **overrides})
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

"""Time the demo loop as a user sees it: from pressing Pay to the shop showing the deposit
credited, over N runs (default 10), in Chromium against the app as `make demo` runs it.

Usage: `.venv/bin/python -m scripts.demo_timing [runs]`. Each run deposits 90.00 KZT in the
demo shop, continues to the payment page, presses Pay in the sandbox's form (the clock
starts), follows "Back to the shop" at once, and stops the clock when the deposit's page
says "Deposit credited". Development settings throughout: the sandbox's callback, the
webhook worker in the web process (polling every WEBHOOK_POLL_INTERVAL, 1 s) and the shop's
page polling its status with backoff.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from scripts.browser import launch
from scripts.screenshots import serve_demo

TIMEOUT_MS = 30_000


def one_run(page, url: str) -> float:
    """Deposit, pay, go back to the shop; return the seconds from Pay to "credited"."""
    page.goto(url + "/demo-shop/")
    page.fill("#amount", "90.00")
    page.select_option("#currency", "KZT")
    page.click("button[type=submit]")
    page.wait_for_url("**/c/**")
    page.select_option("#method", "card")
    page.click("button[type=submit]")
    page.wait_for_url("**/pay/**")
    pay = page.frame_locator("iframe").locator("button[value=pay]")
    pay.wait_for()
    started = time.perf_counter()
    pay.click()
    page.click("text=Back to the shop")
    page.wait_for_selector(".state-credited", timeout=TIMEOUT_MS)
    return time.perf_counter() - started


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        url = serve_demo(Path(scratch) / "timing.sqlite3")
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        times = []
        for number in range(1, runs + 1):
            seconds = one_run(page, url)
            times.append(seconds)
            print(f"run {number:2d}: {seconds:.2f} s from Pay to credited", flush=True)
        browser.close()
    print(
        f"{runs} runs: median {statistics.median(times):.2f} s, worst {max(times):.2f} s, "
        f"best {min(times):.2f} s"
    )


if __name__ == "__main__":
    main()

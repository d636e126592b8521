"""Regenerate the screenshots of the README and docs/: form, pay page, paid page.

Usage: `.venv/bin/python -m scripts.screenshots [output-folder]` (default docs/screenshots).
Runs the app with the embedded sandbox on a temporary SQLite database and drives Debian's
Chromium through the real journey, at desktop and at phone width.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app import create_app
from config import TestingConfig
from scripts.browser import launch

ROOT = Path(__file__).resolve().parent.parent

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def serve_demo(database: Path) -> str:
    """Serve the app with its sandbox on a free loopback port; return its URL."""
    app = create_app(
        TestingConfig,
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SANDBOX_CALLBACK_BACKOFF": 0.2},
    )
    with app.app_context():
        from checkout.extensions import db

        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = url
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return url


def capture(page, url: str, out: Path, name: str) -> None:
    """Walk the journey once and save the three screenshots for one viewport."""
    page.goto(url + "/")
    page.fill("#amount", "90.00")
    page.select_option("#currency", "KZT")
    page.select_option("#method", "cis_transfer")
    page.select_option("#bank_app", "tbank")
    page.fill("#site_login", "aigerim")
    page.screenshot(path=out / f"checkout-{name}.png", full_page=True)
    page.click("button[type=submit]")
    page.wait_for_url("**/pay/**")
    frame = page.frame_locator("iframe")
    frame.locator("button[value=pay]").wait_for()
    page.screenshot(path=out / f"pay-{name}.png", full_page=True)
    frame.locator("button[value=pay]").click()
    page.wait_for_selector(".state-paid", timeout=15000)
    page.screenshot(path=out / f"paid-{name}.png", full_page=True)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        url = serve_demo(Path(scratch) / "demo.sqlite3")
        browser = launch(playwright)
        for name, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, device_scale_factor=1)
            capture(context.new_page(), url, out, name)
            context.close()
        browser.close()
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    main()

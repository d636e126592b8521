"""Regenerate the screenshots of the README and docs/: the demo loop (the shop, the payment,
the credited balance, and one picture of the three), then form, pay page, paid page.

Usage: `.venv/bin/python -m scripts.screenshots [output-folder]` (default docs/screenshots).
Runs the app as `make demo` does (development settings, embedded sandbox, the demo shop and
its webhooks) on a temporary SQLite database and drives Debian's Chromium through the real
journeys, at desktop and at phone width.
"""

from __future__ import annotations

import base64
import socket
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app import create_app
from config import Config
from scripts.browser import launch

ROOT = Path(__file__).resolve().parent.parent

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def serve_demo(database: Path, **settings: object) -> str:
    """Serve the development app on a free loopback port; return its URL.

    The port is chosen first: in development the webhooks go to the demo shop at
    PUBLIC_BASE_URL, fixed when the app is created. `settings` override the development
    ones.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    app = create_app(
        Config,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "PUBLIC_BASE_URL": url,
            "MERCHANT_WEBHOOK_URL": None,
            **settings,
        },
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return url


def capture_loop(page, url: str, out: Path, name: str) -> list[Path]:
    """Deposit in the demo shop, pay on the checkout, land back credited: three screenshots."""
    shots = [out / f"{step}-{name}.png" for step in ("shop", "shop-pay", "shop-credited")]
    page.goto(url + "/demo-shop/")
    page.fill("#amount", "90.00")
    page.select_option("#currency", "KZT")
    page.screenshot(path=shots[0], full_page=True)
    page.click("button[type=submit]")
    page.wait_for_url("**/c/**")
    page.select_option("#method", "card")
    page.click("button[type=submit]")
    page.wait_for_url("**/pay/**")
    frame = page.frame_locator("iframe")
    frame.locator("button[value=pay]").wait_for()
    page.screenshot(path=shots[1], full_page=True)
    frame.locator("button[value=pay]").click()
    page.click("text=Back to the shop")
    page.wait_for_selector(".state-credited", timeout=15000)
    page.screenshot(path=shots[2], full_page=True)
    return shots


def compose_loop(browser, shots: list[Path], target: Path) -> None:
    """Draw the loop's three phone screenshots side by side, captioned, as one picture."""
    captions = ["1. The shop: deposit 90.00 KZT", "2. The checkout: pay", "3. Back at the shop"]
    figures = "".join(
        f'<figure><figcaption>{caption}</figcaption><div><img src="data:image/png;base64,'
        f'{base64.b64encode(shot.read_bytes()).decode()}"></div></figure>'
        for caption, shot in zip(captions, shots, strict=True)
    )
    # Phone width keeps each page legible at the README's width; the top 960 px tell it.
    style = (
        "body{margin:0;padding:20px;background:#e9e6ee;display:flex;gap:24px;"
        "font:600 20px system-ui,sans-serif;color:#1f1a24}"
        "figure{margin:0;width:390px}figcaption{margin:0 0 10px}"
        "div{height:960px;overflow:hidden;border-radius:10px;box-shadow:0 2px 10px #0003;"
        "background:#fff}img{display:block;width:390px}"
    )
    context = browser.new_context(viewport={"width": 1250, "height": 600}, device_scale_factor=1)
    page = context.new_page()
    page.set_content(f"<style>{style}</style>{figures}")
    page.screenshot(path=target, full_page=True)
    context.close()


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
        browser = launch(playwright)
        for name, viewport in VIEWPORTS.items():
            # A fresh site per width: each loop starts from an empty balance.
            url = serve_demo(
                Path(scratch) / f"{name}.sqlite3",
                SANDBOX_CALLBACK_BACKOFF=0.2,
                WEBHOOK_POLL_INTERVAL=0.1,
            )
            context = browser.new_context(viewport=viewport, device_scale_factor=1)
            shots = capture_loop(context.new_page(), url, out, name)
            capture(context.new_page(), url, out, name)
            context.close()
            if name == "phone":
                compose_loop(browser, shots, out / "demo-loop.png")
        browser.close()
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    main()

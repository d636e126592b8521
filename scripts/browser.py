"""Launching Debian's Chromium through Playwright, shared by the screenshot script and tests."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Headless Chromium on a machine with no network beyond loopback and no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def chromium_available() -> bool:
    """Tell whether Debian's Chromium is installed where Playwright will look for it."""
    return os.path.exists(CHROMIUM)


def launch(playwright):
    """Launch headless Chromium with the flags this machine needs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

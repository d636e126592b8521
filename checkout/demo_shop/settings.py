"""The demo shop's settings, its start-up refusals and its warning, all in the plug-in.

`DEMO_SHOP_ENABLED` is on in development (and tests), off in production unless set to 1 —
and then every start says so loudly. In development `MERCHANT_WEBHOOK_URL` defaults to the
shop's receiver, so the demo's whole loop is one command.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

from config import ConfigError, env_bool

RECEIVER_PATH = "/demo-shop/webhooks"
# Where `flask run` (and so `make demo`) serves the site unless told otherwise.
DEMO_HOST = "http://127.0.0.1"
DEMO_PORT = "5000"


def load(config: MutableMapping[str, Any]) -> None:
    """Fill in the shop's settings from the environment, keeping any already given."""
    production = config["APP_ENV"] == "production"
    config.setdefault("DEMO_SHOP_ENABLED", env_bool("DEMO_SHOP_ENABLED", not production))


def default_webhook_url(config: MutableMapping[str, Any]) -> str | None:
    """In development, point MERCHANT_WEBHOOK_URL at the shop's receiver unless it is set.

    The URL is this site's public one (PUBLIC_BASE_URL, or where `flask run` listens:
    FLASK_RUN_PORT, default 5000), since webhook workers have no request to learn it from.

    :return: the URL it now defaults to, or None when nothing was changed.
    """
    if config["APP_ENV"] != "development" or config["MERCHANT_WEBHOOK_URL"]:
        return None
    port = os.environ.get("FLASK_RUN_PORT", DEMO_PORT)
    base: str = config["PUBLIC_BASE_URL"] or f"{DEMO_HOST}:{port}"
    url = base.rstrip("/") + RECEIVER_PATH
    config["MERCHANT_WEBHOOK_URL"] = url
    return url


def check(config: MutableMapping[str, Any]) -> None:
    """Refuse a shop that could not take a deposit or never hear that one was paid.

    :raise ConfigError: naming the setting (create_app stops the process with it).
    """
    if not config["MERCHANT_API_KEY"]:
        raise ConfigError(
            "DEMO_SHOP_ENABLED=1 needs MERCHANT_API_KEY: the shop creates checkouts through "
            "the Checkouts API"
        )
    if config["APP_ENV"] == "production" and not config["MERCHANT_WEBHOOK_URL"]:
        raise ConfigError(
            "DEMO_SHOP_ENABLED=1 needs MERCHANT_WEBHOOK_URL (https://<this site>/demo-shop/"
            "webhooks): the shop credits a deposit only when the webhook arrives"
        )


def warnings(config: MutableMapping[str, Any]) -> list[tuple[str, str]]:
    """Return the shop's risky settings, each with why, to be logged at start."""
    if config["APP_ENV"] == "production":
        return [
            (
                "DEMO_SHOP_ENABLED",
                "the demo shop runs in production: anyone can open /demo-shop/ and start "
                "deposits as its demo user",
            )
        ]
    return []

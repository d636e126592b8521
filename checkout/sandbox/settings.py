"""The sandbox's settings, its start-up refusals and its warning, all in the plug-in.

`SANDBOX_ENABLED` is on in development (and tests), off in production unless set to 1 —
and then every start says so loudly. It plays the gateway only while `GATEWAY_BASE_URL`
names none.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from typing import Any

from config import ConfigError, env, env_bool, env_list, env_number


def load(config: MutableMapping[str, Any]) -> None:
    """Fill in the sandbox's settings from the environment, keeping any already given."""
    production = config["APP_ENV"] == "production"
    defaults = {
        "SANDBOX_ENABLED": env_bool("SANDBOX_ENABLED", not production),
        # Answer obtain_token with redirect_url (always, or for these methods), not a key.
        "SANDBOX_REDIRECT": env_bool("SANDBOX_REDIRECT", False),
        "SANDBOX_REDIRECT_METHODS": env_list("SANDBOX_REDIRECT_METHODS"),
        # Where the sandbox posts callbacks; unset = PUBLIC_BASE_URL + /callback, else
        # `/callback` on the site of success_url.
        "SANDBOX_CALLBACK_URL": env("SANDBOX_CALLBACK_URL"),
        # 6 tries, waiting 2, 4, 8, 16 and 32 s between them: about a minute, like real
        # gateways.
        "SANDBOX_CALLBACK_TRIES": env_number("SANDBOX_CALLBACK_TRIES", "6", int),
        "SANDBOX_CALLBACK_BACKOFF": env_number("SANDBOX_CALLBACK_BACKOFF", "2", float),
        # How long the "callback delayed" test scenario holds its callback (docs/sandbox.md).
        "SANDBOX_SCENARIO_DELAY": env_number("SANDBOX_SCENARIO_DELAY", "20", float),
    }
    for name, value in defaults.items():
        config.setdefault(name, value)


def plays_the_gateway(config: MutableMapping[str, Any]) -> bool:
    """Tell whether the sandbox is on and no other gateway is configured."""
    return bool(config["SANDBOX_ENABLED"]) and not config["GATEWAY_BASE_URL"]


def check(config: MutableMapping[str, Any]) -> None:
    """Refuse settings the sandbox could not work with.

    :raise ConfigError: naming the setting (create_app stops the process with it).
    """
    tries = config["SANDBOX_CALLBACK_TRIES"]
    if not (isinstance(tries, int) and tries >= 0):
        raise ConfigError(f"SANDBOX_CALLBACK_TRIES must be a whole number, not {tries!r}")
    for name in ("SANDBOX_CALLBACK_BACKOFF", "SANDBOX_SCENARIO_DELAY"):
        seconds = config[name]
        if not (isinstance(seconds, int | float) and 0 <= seconds < math.inf):
            raise ConfigError(f"{name} must be a number of seconds")


def warnings(config: MutableMapping[str, Any]) -> list[tuple[str, str]]:
    """Return the sandbox's risky settings, each with why, to be logged at start."""
    if config["APP_ENV"] == "production":
        return [
            (
                "SANDBOX_ENABLED",
                "the sandbox gateway runs in production: payments are pretend, no money moves",
            )
        ]
    return []

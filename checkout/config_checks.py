"""Start-up checks: refuse, naming the setting, a configuration that cannot work or is unsafe."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import limits

from checkout import catalogue, signing
from checkout.commands import parse_duration
from checkout.money import amount_limits, to_minor
from checkout.webhooks import delivery as webhook_delivery
from checkout.webhooks import signing as webhook_signing
from config import (
    DEV_GATEWAY_SECRET,
    DEV_MERCHANT_API_KEY,
    DEV_MERCHANT_ID,
    DEV_SECRET_KEY,
    DEV_SITE_ID,
    DEV_WEBHOOK_SECRET,
    ConfigError,
)

ORDER_STATES = {"pending", "paid", "failed", "expired"}
LOG_FORMATS = ("console", "json")
REDIRECT_HOST = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?", re.IGNORECASE)
MIN_SECRET_KEY_LENGTH = 32
# The Checkouts API's bearer key: as long as SECRET_KEY, too long to guess online.
MIN_API_KEY_LENGTH = 32
# Shorter secrets could be guessed offline from a single signed message.
MIN_GATEWAY_SECRET_LENGTH = 16
# A batch is claimed in one statement and its attempts recorded in one: keep both small.
MAX_CLAIM_BATCH = 1000
# /metrics is reachable from wherever the site is: its token must not be guessable.
MIN_METRICS_TOKEN_LENGTH = 32
# A signed callback alone takes a few hundred bytes: below this, genuine ones get 413.
MIN_CALLBACK_BYTES = 1024


# Settings read as whole numbers, by the environment variable an operator sets.
WHOLE_NUMBERS = {
    "WORKERS": "WEB_CONCURRENCY",
    "PROXY_FIX_HOPS": "PROXY_FIX_HOPS",
}


def check(config: Mapping[str, Any]) -> None:
    """Check every setting; in production also the secrets and URLs.

    :raise ConfigError: for the first setting at fault.
    """
    check_general(config)
    check_removed(config)
    if config["APP_ENV"] == "production":
        check_production(config)


def check_general(config: Mapping[str, Any]) -> None:
    try:
        signing.check_scheme(config["GATEWAY_SIGNATURE_SCHEME"])
    except ValueError as error:
        raise ConfigError(f"GATEWAY_SIGNATURE_SCHEME: {error}") from None
    for code in config["CHECKOUT_CURRENCIES"]:
        if not catalogue.is_iso_currency(code):
            raise ConfigError(f"CHECKOUT_CURRENCIES: {code!r} is not an ISO 4217 code")
        _check_amount("CHECKOUT_MAX_AMOUNT", config["CHECKOUT_MAX_AMOUNT"], code)
    for code, limit in amount_limits(config["CHECKOUT_MAX_AMOUNTS"]).items():
        if not catalogue.is_iso_currency(code):
            raise ConfigError(f"CHECKOUT_MAX_AMOUNTS: {code!r} is not an ISO 4217 code")
        _check_amount("CHECKOUT_MAX_AMOUNTS", limit, code)
    for name in ("MERCHANT_ID", "PUBLIC_BASE_URL"):
        # Both go into every obtain_token we sign: see signing.is_signable_text.
        if not signing.is_signable_text(config[name] or ""):
            raise ConfigError(f"{name} must not contain &, = or control characters")
    if _site_id(config) is None:
        raise ConfigError("SITE_ID must be the integer site id from the gateway's cabinet")
    for name in ("CHECKOUT_RATE_LIMIT", "ADMIN_LOGIN_RATE_LIMIT"):
        try:
            limits.parse_many(config[name] or "")
        except ValueError:
            # Flask-Limiter would log the error on each request and then not limit at all.
            raise ConfigError(
                f"{name}: {config[name]!r} is not a rate limit, e.g. '10 per minute; 100 per hour'"
            ) from None
    for name in ("GATEWAY_TIMEOUT", "GATEWAY_CONNECT_TIMEOUT"):
        seconds = config[name]
        if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
            raise ConfigError(f"{name} must be a positive number of seconds, not {seconds!r}")
    if not (isinstance(config["CALLBACK_MAX_BYTES"], int) and config["CALLBACK_MAX_BYTES"] > 0):
        raise ConfigError("CALLBACK_MAX_BYTES must be a positive number of bytes")
    for name, variable in WHOLE_NUMBERS.items():
        if not (isinstance(config[name], int) and config[name] >= 0):
            raise ConfigError(f"{variable} must be a whole number, not {config[name]!r}")
    if config["LOG_FORMAT"] not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    if config["CUSTOMER_TYPE"] not in set(catalogue.CustomerType):
        raise ConfigError("CUSTOMER_TYPE must be 'trust' or 'regular'")
    for word, state in config["CALLBACK_STATUS_MAP"].items():
        if state not in ORDER_STATES:
            raise ConfigError(f"GATEWAY_STATUS_MAP: {word!r} maps to unknown state {state!r}")
    for network in config["CALLBACK_ALLOWED_NETWORKS"]:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"CALLBACK_ALLOWED_NETWORKS: {network!r} is not a CIDR") from None
    for host in config["GATEWAY_ALLOWED_REDIRECT_HOSTS"]:
        # Each goes into the Content-Security-Policy as it is: nothing but a host[:port].
        if not REDIRECT_HOST.fullmatch(host):
            raise ConfigError(
                f"GATEWAY_ALLOWED_REDIRECT_HOSTS: {host!r} is not a host[:port], "
                "e.g. pay.cactusgino.com"
            )
    gateway = config["GATEWAY_BASE_URL"]
    if gateway and not _is_http_url(gateway):
        raise ConfigError("GATEWAY_BASE_URL must be an http(s) URL, e.g. https://cactusgino.com")
    public = config["PUBLIC_BASE_URL"]
    if public and not _is_http_url(public):
        raise ConfigError("PUBLIC_BASE_URL must be an http(s) URL, e.g. https://shop.example")
    check_webhooks(config)


def check_webhooks(config: Mapping[str, Any]) -> None:
    """Check the webhook settings that any environment needs right."""
    url = config["MERCHANT_WEBHOOK_URL"]
    if url and not _is_http_url(url):
        raise ConfigError("MERCHANT_WEBHOOK_URL must be an http(s) URL, e.g. https://shop/hooks")
    if url:
        try:
            webhook_signing.secret_bytes(config["MERCHANT_WEBHOOK_SECRET"] or "")
        except ValueError as error:
            raise ConfigError(f"MERCHANT_WEBHOOK_SECRET {error}") from None
    try:
        webhook_delivery.retry_delays(config["WEBHOOK_RETRY_DELAYS"])
    except ValueError as error:
        raise ConfigError(f"WEBHOOK_RETRY_DELAYS: {error}") from None
    for name in (
        "WEBHOOK_TIMEOUT",
        "WEBHOOK_CONNECT_TIMEOUT",
        "WEBHOOK_CLAIM_LEASE",
        "WEBHOOK_POLL_INTERVAL",
        "HOUSEKEEPING_INTERVAL",
    ):
        seconds = config[name]
        if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
            raise ConfigError(f"{name} must be a positive number of seconds, not {seconds!r}")
    batch = config["WEBHOOK_CLAIM_BATCH"]
    if not (isinstance(batch, int) and 1 <= batch <= MAX_CLAIM_BATCH):
        raise ConfigError(f"WEBHOOK_CLAIM_BATCH must be a whole number from 1 to {MAX_CLAIM_BATCH}")
    if not config["WEBHOOK_CLAIM_LEASE"] > config["WEBHOOK_TIMEOUT"]:
        # A claim that lapses while its attempt is still under way would let a second
        # worker send the same attempt.
        raise ConfigError("WEBHOOK_CLAIM_LEASE must be longer than WEBHOOK_TIMEOUT")
    try:
        expire_after = parse_duration(config["ORDERS_EXPIRE_AFTER"] or "")
    except ValueError as error:
        raise ConfigError(f"ORDERS_EXPIRE_AFTER: {error}") from None
    if expire_after.total_seconds() <= config["GATEWAY_TIMEOUT"]:
        # A younger `created` order may still be waiting for the gateway's answer.
        raise ConfigError("ORDERS_EXPIRE_AFTER must be longer than GATEWAY_TIMEOUT")


def check_removed(config: Mapping[str, Any]) -> None:
    """Refuse settings that no longer exist, so that nobody relies on one that does nothing."""
    if config.get("TRUSTED_LOGINS"):
        raise ConfigError(
            "TRUSTED_LOGINS was removed: a login typed into the open form proves nothing, so "
            "it made anyone who typed a listed login trusted. Unset it: every open-form order "
            "gets CUSTOMER_TYPE, and trust will come from the merchant's own server"
        )


def check_production(config: Mapping[str, Any]) -> None:
    _require("SECRET_KEY", config, DEV_SECRET_KEY)
    if len(config["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters")
    if config.get("DEBUG"):
        raise ConfigError(
            "FLASK_DEBUG must be off in production: the debugger runs code sent by anyone"
        )
    _require("GATEWAY_SECRET", config, DEV_GATEWAY_SECRET)
    if len(config["GATEWAY_SECRET"]) < MIN_GATEWAY_SECRET_LENGTH:
        raise ConfigError(
            f"GATEWAY_SECRET must be at least {MIN_GATEWAY_SECRET_LENGTH} characters "
            "(the secret from the gateway's cabinet)"
        )
    if config["CALLBACK_MAX_BYTES"] < MIN_CALLBACK_BYTES:
        raise ConfigError(
            f"CALLBACK_MAX_BYTES must be at least {MIN_CALLBACK_BYTES} in production: "
            "below that real callbacks are refused as too large"
        )
    token = config["METRICS_TOKEN"]
    if token and len(token) < MIN_METRICS_TOKEN_LENGTH:
        raise ConfigError(
            f"METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    check_rate_limit_storage(config)
    _require("MERCHANT_ID", config, DEV_MERCHANT_ID)
    # Compared as numbers: "09999" is the development site id too.
    if _site_id(config) == int(DEV_SITE_ID):
        raise ConfigError("SITE_ID is missing or still the development default")
    _require("PUBLIC_BASE_URL", config)
    if urlsplit(config["PUBLIC_BASE_URL"]).scheme != "https":
        raise ConfigError("PUBLIC_BASE_URL must be https:// in production")
    _require("SQLALCHEMY_DATABASE_URI", config, name="DATABASE_URL")
    if config["GATEWAY_BASE_URL"] and urlsplit(config["GATEWAY_BASE_URL"]).scheme != "https":
        raise ConfigError("GATEWAY_BASE_URL must be https:// in production")
    check_api_key(config.get("MERCHANT_API_KEY"))
    if config["MERCHANT_WEBHOOK_URL"]:
        check_production_webhooks(config)


def check_api_key(key: str | None) -> None:
    """Refuse the development API key or a short one; no key at all turns the API off."""
    if key is None:
        return
    if key == DEV_MERCHANT_API_KEY:
        raise ConfigError("MERCHANT_API_KEY is still the development default")
    if len(key) < MIN_API_KEY_LENGTH:
        raise ConfigError(f"MERCHANT_API_KEY must be at least {MIN_API_KEY_LENGTH} characters")


def check_production_webhooks(config: Mapping[str, Any]) -> None:
    """Webhooks carry payments: only over https, signed with a real, long secret."""
    if urlsplit(config["MERCHANT_WEBHOOK_URL"]).scheme != "https":
        raise ConfigError("MERCHANT_WEBHOOK_URL must be https:// in production")
    _require("MERCHANT_WEBHOOK_SECRET", config, DEV_WEBHOOK_SECRET)
    key = webhook_signing.secret_bytes(config["MERCHANT_WEBHOOK_SECRET"])
    if len(key) < webhook_signing.MIN_SECRET_BYTES:
        raise ConfigError(
            f"MERCHANT_WEBHOOK_SECRET must hold at least {webhook_signing.MIN_SECRET_BYTES} "
            "random bytes (whsec_ + base64)"
        )


def per_process_limits(config: Mapping[str, Any]) -> bool:
    """Tell whether each process counts the rate limits on its own."""
    return str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://")


def check_rate_limit_storage(config: Mapping[str, Any]) -> None:
    """Refuse per-process rate limits in production unless one process serves the shop.

    With N processes each counts on its own, so every limit — the admin sign-in's above
    all — is N times looser, silently.
    """
    if not per_process_limits(config):
        return
    workers = config["WORKERS"]
    if workers > 1:
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI=memory:// counts in each of the {workers} workers on its "
            "own: set a shared store, e.g. redis://host:6379/0"
        )
    if not config["RATELIMIT_SINGLE_INSTANCE"]:
        raise ConfigError(
            "RATELIMIT_STORAGE_URI=memory:// counts per process: set a shared store, e.g. "
            "redis://host:6379/0, or RATELIMIT_SINGLE_INSTANCE=1 if one worker on one "
            "machine serves the shop"
        )


def warnings(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return the settings that work but are risky, each with why, to be logged at start."""
    found = []
    workers = config["WORKERS"]
    if per_process_limits(config) and workers > 1:
        found.append(
            (
                "RATELIMIT_STORAGE_URI",
                f"memory:// counts in each of the {workers} workers on its own, so every "
                "rate limit (checkout, admin sign-in) is that many times looser; "
                "use a shared store such as redis://host:6379/0",
            )
        )
    if config["APP_ENV"] == "production" and per_process_limits(config) and workers == 1:
        found.append(
            (
                "RATELIMIT_STORAGE_URI",
                "memory:// is allowed because RATELIMIT_SINGLE_INSTANCE=1 says one worker on "
                "one machine serves the shop; a second worker or machine makes every rate "
                "limit looser: use redis://host:6379/0 then",
            )
        )
    return found


def _site_id(config: Mapping[str, Any]) -> int | None:
    """Return SITE_ID as the integer the gateway is sent, or None when it is not one."""
    text = str(config["SITE_ID"] or "")
    return int(text) if text.isascii() and text.isdigit() else None


def _require(
    key: str, config: Mapping[str, Any], dev_default: str | None = None, *, name: str = ""
) -> None:
    value = config.get(key)
    if not value or value == dev_default:
        raise ConfigError(f"{name or key} is missing or still the development default")


def _check_amount(setting: str, amount: Any, currency: str) -> None:
    try:
        if to_minor(amount, currency) <= 0:
            raise ValueError
    except (ValueError, ArithmeticError):
        raise ConfigError(f"{setting}: {amount!r} is not a positive amount in {currency}") from None


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)

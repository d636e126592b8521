"""Start-up checks: refuse, naming the setting, a configuration that cannot work or is unsafe."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from checkout import catalogue, signing
from checkout.commands import parse_duration
from checkout.money import amount_limits, to_minor
from checkout.webhooks import delivery as webhook_delivery
from checkout.webhooks import signing as webhook_signing
from config import (
    DEV_GATEWAY_SECRET,
    DEV_MERCHANT_ID,
    DEV_SECRET_KEY,
    DEV_SITE_ID,
    DEV_WEBHOOK_SECRET,
)

ORDER_STATES = {"pending", "paid", "failed", "expired"}
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names it and says what to do."""


def check(config: Mapping[str, Any]) -> None:
    """Check every setting; in production also the secrets, URLs and the sandbox.

    :raise ConfigError: for the first setting at fault.
    """
    check_general(config)
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
    if not str(config["SITE_ID"] or "").isdigit():
        raise ConfigError("SITE_ID must be the integer site id from the gateway's cabinet")
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
    gateway = config["GATEWAY_BASE_URL"]
    if not gateway and not config["SANDBOX_ENABLED"]:
        raise ConfigError(
            "GATEWAY_BASE_URL must name the gateway when the sandbox is off "
            "(SANDBOX_ENABLED=0); unset both to use the embedded sandbox"
        )
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
    for name in ("WEBHOOK_TIMEOUT", "WEBHOOK_CONNECT_TIMEOUT", "WEBHOOK_POLL_INTERVAL"):
        if not config[name] > 0:
            raise ConfigError(f"{name} must be a number of seconds above 0")
    if not config["WEBHOOK_CLAIM_LEASE"] > config["WEBHOOK_TIMEOUT"]:
        # A claim that lapses while its attempt is still under way would let a second
        # worker send the same attempt.
        raise ConfigError("WEBHOOK_CLAIM_LEASE must be longer than WEBHOOK_TIMEOUT")
    if not config["HOUSEKEEPING_INTERVAL"] > 0:
        raise ConfigError("HOUSEKEEPING_INTERVAL must be a number of seconds above 0")
    try:
        parse_duration(config["ORDERS_EXPIRE_AFTER"] or "")
    except ValueError as error:
        raise ConfigError(f"ORDERS_EXPIRE_AFTER: {error}") from None


def check_production(config: Mapping[str, Any]) -> None:
    _require("SECRET_KEY", config, DEV_SECRET_KEY)
    if len(config["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters")
    _require("GATEWAY_SECRET", config, DEV_GATEWAY_SECRET)
    _require("MERCHANT_ID", config, DEV_MERCHANT_ID)
    _require("SITE_ID", config, DEV_SITE_ID)
    _require("PUBLIC_BASE_URL", config)
    if urlsplit(config["PUBLIC_BASE_URL"]).scheme != "https":
        raise ConfigError("PUBLIC_BASE_URL must be https:// in production")
    _require("SQLALCHEMY_DATABASE_URI", config, name="DATABASE_URL")
    if config["GATEWAY_BASE_URL"] and urlsplit(config["GATEWAY_BASE_URL"]).scheme != "https":
        raise ConfigError("GATEWAY_BASE_URL must be https:// in production")
    if config["MERCHANT_WEBHOOK_URL"]:
        check_production_webhooks(config)


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

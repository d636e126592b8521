"""Start-up checks: refuse, naming the setting, a configuration that cannot work or is unsafe."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from checkout import catalogue, signing
from checkout.money import amount_limits, to_minor
from config import (
    DEV_GATEWAY_SECRET,
    DEV_MERCHANT_API_KEY,
    DEV_MERCHANT_ID,
    DEV_SECRET_KEY,
    DEV_SITE_ID,
)

ORDER_STATES = {"pending", "paid", "failed", "expired"}
MIN_SECRET_KEY_LENGTH = 32
MIN_API_KEY_LENGTH = 32


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
    check_api_key(config.get("MERCHANT_API_KEY"))


def check_api_key(key: str | None) -> None:
    """Refuse the development API key or a short one; no key at all turns the API off."""
    if key is None:
        return
    if key == DEV_MERCHANT_API_KEY:
        raise ConfigError("MERCHANT_API_KEY is still the development default")
    if len(key) < MIN_API_KEY_LENGTH:
        raise ConfigError(f"MERCHANT_API_KEY must be at least {MIN_API_KEY_LENGTH} characters")


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

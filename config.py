"""Configuration classes read from the environment (and `.env` under `flask run`).

`APP_ENV` picks the class: `development` (default), `testing` or `production`.
"""

from __future__ import annotations

import os
from typing import Any

DEV_SECRET_KEY = "dev-only-secret-key-change-me"
DEV_GATEWAY_SECRET = "sandbox-secret"
DEV_MERCHANT_ID = "sandbox-merchant"
DEV_SITE_ID = "9999"
# The Checkouts API key of development and tests, documented in docs/api.md; production
# refuses it.
DEV_MERCHANT_API_KEY = "dev-merchant-api-key"
# The demo's webhook secret (base64 of "cactus-checkout-demo-webhook-key"); never in production.
DEV_WEBHOOK_SECRET = "whsec_Y2FjdHVzLWNoZWNrb3V0LWRlbW8td2ViaG9vay1rZXk="
DEFAULT_WEBHOOK_RETRY_DELAYS = "5,300,1800,7200,18000,36000,36000"

# Gateway status words → our order states (docs/callbacks.md); GATEWAY_STATUS_MAP adds or overrides.
DEFAULT_STATUS_MAP = {
    **dict.fromkeys(["success", "paid", "completed", "approved"], "paid"),
    **dict.fromkeys(
        ["fail", "failed", "declined", "canceled", "cancelled", "rejected", "error"], "failed"
    ),
    "expired": "expired",
    **dict.fromkeys(["pending", "processing", "created", "in_progress"], "pending"),
}

DEFAULT_CURRENCIES = "KZT,RUB,UZS,AZN,UAH,TRY,BRL,INR,IDR,USD,EUR"


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names it and says what to do."""


def env(name: str, default: str | None = None) -> str | None:
    """Return an environment variable, treating an empty value as unset."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool = False) -> bool:
    """Return an environment variable read as a yes/no flag."""
    value = env(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_map(name: str) -> dict[str, str]:
    """Return a `key=value,key=value` environment variable as a dict (keys lowercased)."""
    pairs = (item.partition("=") for item in env_list(name))
    return {key.strip().lower(): value.strip() for key, _, value in pairs}


def env_number(name: str, default: str, kind: type[int] | type[float]) -> int | float | str:
    """Return a numeric environment variable, or its raw text when it is not a number.

    Start-up checks then refuse the text by the setting's name, where a `ValueError` here
    would stop the app with a traceback that names nothing.
    """
    raw = env(name, default) or default
    try:
        return kind(raw)
    except ValueError:
        return raw


def env_list(name: str, default: str = "") -> list[str]:
    """Return a comma-separated environment variable as a list of trimmed items."""
    raw = env(name, default) or ""
    return [item.strip() for item in raw.split(",") if item.strip()]


class Config:
    """Development defaults: SQLite under `instance/`; the gateway at GATEWAY_BASE_URL, or
    one a plug-in offers (the embedded sandbox)."""

    APP_ENV = "development"
    SECRET_KEY = env("SECRET_KEY", DEV_SECRET_KEY)
    # None means "a SQLite file in the instance folder"; create_app fills in the path.
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL")
    # No ping before each use: it costs a round trip on every request. After a database
    # restart SQLAlchemy discards the whole pool on the first error, so each worker fails
    # at most one request (callbacks are delivered again; pages are retried). Operators
    # who prefer the ping set DATABASE_POOL_PRE_PING=1.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {
        "pool_pre_ping": env_bool("DATABASE_POOL_PRE_PING", False),
        "pool_recycle": 1800,
        # A failed statement's error would quote its parameters — a callback's body and
        # signature among them — into the logs.
        "hide_parameters": True,
    }

    # https://cactusgino.com is the live one; unset, a plug-in may offer one (the sandbox).
    GATEWAY_BASE_URL = env("GATEWAY_BASE_URL")
    GATEWAY_ALLOWED_REDIRECT_HOSTS = env_list("GATEWAY_ALLOWED_REDIRECT_HOSTS")
    MERCHANT_ID = env("MERCHANT_ID", DEV_MERCHANT_ID)
    SITE_ID = env("SITE_ID", DEV_SITE_ID)
    GATEWAY_SECRET = env("GATEWAY_SECRET", DEV_GATEWAY_SECRET)
    GATEWAY_SIGNATURE_SCHEME = env("GATEWAY_SIGNATURE_SCHEME", "hmac-sha256")
    GATEWAY_TIMEOUT = env_number("GATEWAY_TIMEOUT", "10", float)
    GATEWAY_CONNECT_TIMEOUT = env_number("GATEWAY_CONNECT_TIMEOUT", "3.05", float)
    PUBLIC_BASE_URL = env("PUBLIC_BASE_URL")
    # Host header values accepted (Flask's setting; others get 400). Unset: any host when
    # PUBLIC_BASE_URL is set, else only this machine's loopback names (see create_app).
    TRUSTED_HOSTS = env_list("TRUSTED_HOSTS") or None

    CHECKOUT_CURRENCIES = env_list("CHECKOUT_CURRENCIES", DEFAULT_CURRENCIES)
    # Largest amount a customer may pay, in major units, and per-currency overrides.
    CHECKOUT_MAX_AMOUNT = env("CHECKOUT_MAX_AMOUNT", "1000000")
    CHECKOUT_MAX_AMOUNTS = env_list("CHECKOUT_MAX_AMOUNTS")
    # The open form at `/`: 0 leaves only checkouts created by the merchant (Checkouts API).
    OPEN_CHECKOUT = env_bool("OPEN_CHECKOUT", True)
    # Bearer key of the Checkouts API (/api/v1); the API answers 404 when it is empty.
    MERCHANT_API_KEY = env("MERCHANT_API_KEY", DEV_MERCHANT_API_KEY)
    # The customer never declares itself trusted: every open-form order gets this, and a
    # checkout's orders what its merchant said (default this too).
    CUSTOMER_TYPE = env("CUSTOMER_TYPE", "regular")
    # Removed: it trusted whoever typed a listed login. Read only so that start-up refuses
    # it rather than ignore it silently (config_checks).
    TRUSTED_LOGINS = env("TRUSTED_LOGINS")

    CALLBACK_STATUS_MAP = {**DEFAULT_STATUS_MAP, **env_map("GATEWAY_STATUS_MAP")}
    CALLBACK_MAX_BYTES = env_number("CALLBACK_MAX_BYTES", str(64 * 1024), int)

    # Callbacks from other networks get 403 when set (comma-separated CIDRs).
    CALLBACK_ALLOWED_NETWORKS = env_list("CALLBACK_ALLOWED_NETWORKS")
    # Submissions of the checkout form per client; storage shared by all machines in
    # production (e.g. redis://host:6379), else each process counts on its own.
    CHECKOUT_RATE_LIMIT = env("CHECKOUT_RATE_LIMIT", "10 per minute; 100 per hour")
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Keys in the shared store start with this: shops sharing one Redis keep apart.
    RATELIMIT_KEY_PREFIX = env("RATELIMIT_KEY_PREFIX", "checkout")
    # Production refuses memory:// (counts per process) unless the operator states that this
    # is the one process of the one machine serving the shop; even then it says so at start.
    RATELIMIT_SINGLE_INSTANCE = env_bool("RATELIMIT_SINGLE_INSTANCE", False)
    # Log lines: `console` (readable, the default) or `json` (one object per line).
    LOG_FORMAT = env("LOG_FORMAT", "console")
    # Error reports to Sentry (unset = none), and the release they are filed under.
    SENTRY_DSN = env("SENTRY_DSN")
    SENTRY_RELEASE = env("SENTRY_RELEASE")
    # `Authorization: Bearer <token>` for GET /metrics; unset, /metrics answers 404.
    METRICS_TOKEN = env("METRICS_TOKEN")
    # Worker processes serving the app (gunicorn.conf.py sets it), for the start-up warnings.
    WORKERS = env_number("WEB_CONCURRENCY", "1", int)
    # How many reverse proxies / load balancers stand in front of the app (X-Forwarded-*).
    PROXY_FIX_HOPS = env_number("PROXY_FIX_HOPS", "0", int)

    WTF_CSRF_TIME_LIMIT = None  # a customer may leave the form open for a while
    MAX_CONTENT_LENGTH = 1024 * 1024

    # Webhooks to the merchant's server (docs/webhooks.md); unset URL = no webhooks.
    MERCHANT_WEBHOOK_URL = env("MERCHANT_WEBHOOK_URL")
    MERCHANT_WEBHOOK_SECRET = env("MERCHANT_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET)
    # Seconds before each retry after the first attempt: 1 + 7 attempts over about 27 hours.
    WEBHOOK_RETRY_DELAYS = env_list("WEBHOOK_RETRY_DELAYS", DEFAULT_WEBHOOK_RETRY_DELAYS)
    WEBHOOK_TIMEOUT = env_number("WEBHOOK_TIMEOUT", "10", float)  # the whole exchange
    WEBHOOK_CONNECT_TIMEOUT = env_number("WEBHOOK_CONNECT_TIMEOUT", "5", float)
    # How long a worker owns an attempt; a dead worker's events are taken over after it.
    WEBHOOK_CLAIM_LEASE = env_number("WEBHOOK_CLAIM_LEASE", "60", float)
    # Due events a worker claims at once: their attempts are recorded with one commit.
    WEBHOOK_CLAIM_BATCH = env_number("WEBHOOK_CLAIM_BATCH", "20", int)
    WEBHOOK_POLL_INTERVAL = env_number("WEBHOOK_POLL_INTERVAL", "1", float)
    # Deliver from the web process too (a thread): the demo needs no `flask webhooks worker`.
    WEBHOOK_IN_PROCESS = env_bool("WEBHOOK_IN_PROCESS", True)
    # The workers' chores (checkout.housekeeping): how often, and when an order expires.
    HOUSEKEEPING_INTERVAL = env_number("HOUSEKEEPING_INTERVAL", "300", float)
    ORDERS_EXPIRE_AFTER = env("ORDERS_EXPIRE_AFTER", "30m")

    # The merchant's back office at /admin: off (404) unless both are set, in every environment.
    ADMIN_USERNAME = env("ADMIN_USERNAME")
    ADMIN_PASSWORD = env("ADMIN_PASSWORD")
    ADMIN_LOGIN_RATE_LIMIT = env("ADMIN_LOGIN_RATE_LIMIT", "5 per minute")


class TestingConfig(Config):
    """Settings for the test suite: its own database, fast and deterministic."""

    APP_ENV = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    GATEWAY_SECRET = "testing-gateway-secret"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    WEBHOOK_IN_PROCESS = False


class ProductionConfig(Config):
    """A real shop: secrets and the gateway must be set."""

    APP_ENV = "production"
    # No development default: unset, the Checkouts API is off.
    MERCHANT_API_KEY = env("MERCHANT_API_KEY")
    PROXY_FIX_HOPS = env_number("PROXY_FIX_HOPS", "1", int)
    # One JSON object per line, for whatever collects the logs.
    LOG_FORMAT = env("LOG_FORMAT", "json")
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Production delivers with `flask webhooks worker` processes (README, Deploying).
    WEBHOOK_IN_PROCESS = env_bool("WEBHOOK_IN_PROCESS", False)


CONFIGS: dict[str, type[Config]] = {
    "development": Config,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """Return the config class named by `APP_ENV`.

    :raise ConfigError: for a name that is not one of them.
    """
    name = env("APP_ENV") or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None

"""Where the gateway is — for our server and for the customer's browser — and our own URLs.

With `GATEWAY_BASE_URL` set, both are that URL. Without it, a plug-in may offer a gateway
in its `init_app` (`offer`): the sandbox does, in development. With neither, the app still
starts outside production, and the pages that take a payment answer 503 saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

import structlog
from flask import Flask, current_app, request, url_for
from werkzeug.exceptions import ServiceUnavailable

from checkout import http_session
from checkout.gateway import GatewayClient, host_of
from config import ConfigError

log = structlog.get_logger("checkout.config")

EXTENSION = "gateway_provider"
# Said at start and on the payment pages: English, like every configuration message, since
# it is meant for whoever runs the site.
NO_GATEWAY = "No payment gateway is set: set GATEWAY_BASE_URL (or install the sandbox plug-in)."

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Gateway:
    """A gateway as the checkout needs to know it; its secret and signature scheme are
    the app's `GATEWAY_SECRET` and `GATEWAY_SIGNATURE_SCHEME`.

    The base URLs are functions: a plug-in's may depend on the request (the browser's) or
    start a listener on first use (our server's).
    """

    browser_base_url: Callable[[], str]
    api_base_url: Callable[[], str]
    # The Content-Security-Policy source its hosted form is framed from.
    frame_origin: str
    # A note every customer page shows while this gateway plays the part, e.g. that no
    # money moves; None for a real gateway.
    banner: Any = None


class NoGateway(ServiceUnavailable):
    """No gateway is configured or offered: payments cannot start."""


def offer(app: Flask, gateway: Gateway) -> None:
    """Let a plug-in offer the gateway used while `GATEWAY_BASE_URL` names none."""
    app.extensions[EXTENSION] = gateway


def configured(base_url: str) -> Gateway:
    """Return the gateway at `base_url`, reached there by browsers and by our server alike."""
    parts = urlsplit(base_url)
    return Gateway(
        browser_base_url=lambda: base_url,
        api_base_url=lambda: base_url,
        frame_origin=f"{parts.scheme}://{parts.netloc}",
    )


def current_gateway(app: Flask | None = None) -> Gateway | None:
    """Return the app's gateway: the configured one, else a plug-in's offer, else None."""
    app = app or current_app
    base_url = app.config["GATEWAY_BASE_URL"]
    if base_url:
        return configured(base_url)
    gateway: Gateway | None = app.extensions.get(EXTENSION)
    return gateway


def required_gateway() -> Gateway:
    """Return the app's gateway.

    :raise NoGateway: 503, saying what to set, when there is none.
    """
    gateway = current_gateway()
    if gateway is None:
        raise NoGateway(description=NO_GATEWAY)
    return gateway


def needs_gateway(view: Callable[P, R]) -> Callable[P, R]:
    """Answer 503 before a view that starts a payment runs, when there is no gateway.

    Before, not during: an order created first would be left waiting for a gateway call
    that cannot be made.
    """

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        required_gateway()
        return view(*args, **kwargs)

    return guarded


def check(app: Flask) -> None:
    """Refuse to serve production without a gateway; elsewhere say loudly that none is set.

    Runs after the plug-ins, which may have offered one.

    :raise ConfigError: in production, when there is no gateway.
    """
    if current_gateway(app) is not None:
        return
    if app.config["APP_ENV"] == "production":
        raise ConfigError(
            "GATEWAY_BASE_URL must name the gateway in production, e.g. https://cactusgino.com"
        )
    log.warning("config_warning", setting="GATEWAY_BASE_URL", reason=NO_GATEWAY)


def template_context() -> dict[str, object]:
    """Give templates the gateway's banner (None for a real gateway, or none at all)."""
    gateway = current_gateway()
    return {"gateway_banner": gateway.banner if gateway else None}


def init_app(app: Flask) -> None:
    app.context_processor(template_context)


def public_base_url() -> str:
    """Return our site's absolute base URL, as configured or as this request reached us."""
    return (current_app.config["PUBLIC_BASE_URL"] or request.host_url).rstrip("/")


def public_url(endpoint: str, **values: Any) -> str:
    """Return an absolute URL of ours to hand to the gateway."""
    return public_base_url() + url_for(endpoint, **values)


def browser_gateway_base() -> str:
    """Return the gateway base URL as the customer's browser reaches it.

    :raise NoGateway: when there is none.
    """
    return required_gateway().browser_base_url()


def gateway_origin() -> str | None:
    """Return the source the gateway's form is framed from, for the Content-Security-Policy
    (None without a gateway: nothing may be framed)."""
    gateway = current_gateway()
    return gateway.frame_origin if gateway else None


def gateway_client() -> GatewayClient:
    """Return a gateway client for this request, sharing the app's pooled HTTP session.

    :raise NoGateway: when there is none.
    """
    config = current_app.config
    session = current_app.extensions.get("gateway_session")
    if session is None:
        session = current_app.extensions["gateway_session"] = http_session.Session()
    return GatewayClient(
        api_base_url=required_gateway().api_base_url(),
        secret=config["GATEWAY_SECRET"],
        scheme=config["GATEWAY_SIGNATURE_SCHEME"],
        connect_timeout=config["GATEWAY_CONNECT_TIMEOUT"],
        total_timeout=config["GATEWAY_TIMEOUT"],
        allowed_redirect_hosts=allowed_redirect_hosts(),
        session=session,
    )


def allowed_redirect_hosts() -> frozenset[str]:
    """Return the hosts a gateway `redirect_url` may send customers to."""
    configured_hosts = {
        host.lower() for host in current_app.config["GATEWAY_ALLOWED_REDIRECT_HOSTS"]
    }
    gateway = current_gateway()
    if gateway is not None:
        configured_hosts.add(host_of(gateway.browser_base_url()))
    return frozenset(configured_hosts)

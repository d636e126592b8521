"""Where the gateway is — for our server and for the customer's browser — and our own URLs.

With `GATEWAY_BASE_URL` set, both are that URL. Without it, the embedded sandbox plays the
gateway: browsers reach it under `/sandbox` on our own site, and our server reaches it over
HTTP at the address the sandbox registers (see `checkout.sandbox`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app, request, url_for

from checkout.gateway import GatewayClient, host_of

SANDBOX_PREFIX = "/sandbox"


def public_base_url() -> str:
    """Return our site's absolute base URL, as configured or as this request reached us."""
    return (current_app.config["PUBLIC_BASE_URL"] or request.host_url).rstrip("/")


def public_url(endpoint: str, **values: Any) -> str:
    """Return an absolute URL of ours to hand to the gateway."""
    return public_base_url() + url_for(endpoint, **values)


def uses_sandbox() -> bool:
    """Tell whether the embedded sandbox plays the gateway's part."""
    return not current_app.config["GATEWAY_BASE_URL"]


def browser_gateway_base() -> str:
    """Return the gateway base URL as the customer's browser reaches it."""
    return current_app.config["GATEWAY_BASE_URL"] or public_base_url() + SANDBOX_PREFIX


def gateway_origin() -> str:
    """Return the gateway's origin for the Content-Security-Policy (`'self'` in sandbox)."""
    if uses_sandbox():
        return "'self'"
    parts = urlsplit(current_app.config["GATEWAY_BASE_URL"])
    return f"{parts.scheme}://{parts.netloc}"


def gateway_client() -> GatewayClient:
    """Return a gateway client for this request, sharing the app's pooled HTTP session."""
    config = current_app.config
    session = current_app.extensions.get("gateway_session")
    if session is None:
        session = current_app.extensions["gateway_session"] = requests.Session()
    if uses_sandbox():
        api_base = current_app.extensions["sandbox"].api_base_url()
    else:
        api_base = config["GATEWAY_BASE_URL"]
    return GatewayClient(
        api_base_url=api_base,
        secret=config["GATEWAY_SECRET"],
        scheme=config["GATEWAY_SIGNATURE_SCHEME"],
        connect_timeout=config["GATEWAY_CONNECT_TIMEOUT"],
        total_timeout=config["GATEWAY_TIMEOUT"],
        allowed_redirect_hosts=allowed_redirect_hosts(),
        session=session,
    )


def allowed_redirect_hosts() -> frozenset[str]:
    """Return the hosts a gateway `redirect_url` may send customers to."""
    configured = {host.lower() for host in current_app.config["GATEWAY_ALLOWED_REDIRECT_HOSTS"]}
    return frozenset({host_of(browser_gateway_base()), *configured})

"""Security headers: a strict Content-Security-Policy and friends on every response, and
`no_store` for the responses that hold tokens or customers' data; the signed session
cookie."""

from __future__ import annotations

from flask import Flask, current_app
from werkzeug.wrappers import Response

from checkout import sessions
from checkout.gateway_config import gateway_origin


def content_security_policy() -> str:
    """Return our CSP: only our own assets, and frames only from the gateway."""
    gateway = gateway_origin()
    # Without a gateway nothing is framed: the payment pages answer 503 then.
    frame_sources = gateway or "'none'"
    # The checkout's 303 may lead to any host a gateway redirect_url is allowed to name; a
    # host missing here would leave the customer stuck on the form with a pending order.
    # Host-sources without a scheme: the page's own scheme (or its https upgrade).
    allowed = [host.lower() for host in current_app.config["GATEWAY_ALLOWED_REDIRECT_HOSTS"]]
    form_targets = " ".join(dict.fromkeys(["'self'", *([gateway] if gateway else []), *allowed]))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"frame-src {frame_sources}",
            # A redirect after a form post must be allowed by form-action too.
            f"form-action {form_targets}",
            "frame-ancestors 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def security_headers() -> list[tuple[str, str]]:
    """Return the headers every response carries; they depend on configuration only."""
    headers = [
        ("Content-Security-Policy", content_security_policy()),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "SAMEORIGIN"),
    ]
    if current_app.config["APP_ENV"] == "production":
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return headers


def add_security_headers(response: Response) -> Response:
    """Add the security headers to a response (no view sets any of them itself)."""
    headers = current_app.extensions.get("security_headers")
    if headers is None:  # computed once per app: this runs on every response
        headers = current_app.extensions["security_headers"] = security_headers()
    response.headers.extend(headers)
    return response


def no_store(response: Response) -> Response:
    """Keep a response out of every cache, shared or the browser's: a copy kept there
    would show tokens or a customer's data to the next reader.

    Each blueprint whose answers hold such data registers it as an `after_request` hook.
    """
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    sessions.init_app(app)

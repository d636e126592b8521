"""Security headers on every response: a strict Content-Security-Policy and friends."""

from __future__ import annotations

from flask import Flask, current_app
from werkzeug.wrappers import Response

from checkout.gateway_config import gateway_origin


def content_security_policy() -> str:
    """Return our CSP: only our own assets, and frames only from the gateway."""
    gateway = gateway_origin()
    form_targets = "'self'" if gateway == "'self'" else f"'self' {gateway}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"frame-src {gateway}",
            # A redirect after a form post must be allowed by form-action too.
            f"form-action {form_targets}",
            "frame-ancestors 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def add_security_headers(response: Response) -> Response:
    """Add the security headers to a response."""
    headers = response.headers
    csp = current_app.extensions.get("content_security_policy")
    if csp is None:  # depends on configuration only: compute once
        csp = current_app.extensions["content_security_policy"] = content_security_policy()
    headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if current_app.config["APP_ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)

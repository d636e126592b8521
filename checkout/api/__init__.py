"""The Checkouts API (docs/api.md): the merchant's server creates checkouts and reads orders.

JSON in and out, `Authorization: Bearer <MERCHANT_API_KEY>`, errors as problem+json.
"""

from __future__ import annotations

from flask import Flask

from checkout.extensions import csrf


def init_app(app: Flask) -> None:
    """Mount the API; it carries no CSRF token of ours: the bearer key authenticates it."""
    from checkout.api.views import bp

    csrf.exempt(bp)
    app.register_blueprint(bp)

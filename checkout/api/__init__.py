"""The Checkouts API (docs/api.md): the merchant's server creates checkouts and reads orders.

JSON in and out, `Authorization: Bearer <MERCHANT_API_KEY>`, errors as problem+json.
"""

from __future__ import annotations

from flask import Flask

from checkout import errors, i18n
from checkout.extensions import csrf

# Every error under it is problem+json, even for URLs the API lacks.
API_NAMESPACE = "/api/"


def init_app(app: Flask) -> None:
    """Mount the API; it carries no CSRF token of ours: the bearer key authenticates it."""
    from checkout.api import problems
    from checkout.api.views import bp

    csrf.exempt(bp)
    app.register_blueprint(bp)
    errors.answer_errors(app, bp.name, problems.from_http_error, unmatched_prefix=API_NAMESPACE)
    i18n.english_only(app, bp.name)

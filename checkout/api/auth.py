"""Who may use the Checkouts API: the merchant's server, with `MERCHANT_API_KEY`.

The key is compared in constant time. With no key configured (production only: development
and tests have a documented default) the API does not exist: every route answers 404.
"""

from __future__ import annotations

import hmac

from flask import abort, current_app, request

from checkout.api.problems import Problem

# Where the API's description is served: public, like any API reference.
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})


def require_api_key() -> None:
    """Refuse a request without the merchant's key (401), or every request when unset (404).

    :raise Problem: 401 with `WWW-Authenticate: Bearer`.
    """
    key = current_app.config["MERCHANT_API_KEY"]
    if not key:
        abort(404)
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            401,
            "Send your API key as Authorization: Bearer <MERCHANT_API_KEY>.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(token.strip().encode(), key.encode()):
        raise Problem(
            401,
            "The API key is not valid.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

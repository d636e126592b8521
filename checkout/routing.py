"""URL converters: a path segment matches only the alphabet of what it names.

Anything else (`/pay/%00`, a space, a slash) gets the normal 404 page before a view or
the database ever sees it.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter

from checkout.models import REQUEST_ID_LENGTH


class RequestIdConverter(BaseConverter):
    """An order's request_id: URL-safe base64 letters (our base32 ids are a subset)."""

    regex = rf"[A-Za-z0-9_-]{{1,{REQUEST_ID_LENGTH}}}"


def init_app(app: Flask) -> None:
    app.url_map.converters["request_id"] = RequestIdConverter

"""Reading an API request's body: a JSON object, or a clear 415 or 400."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from checkout.api.problems import Problem


def refuse_constant(name: str) -> None:
    """Refuse NaN and Infinity, which Python's JSON reader accepts but JSON does not have."""
    raise ValueError(f"{name} is not JSON")


def json_object() -> dict[str, Any]:
    """Return the request's body as a JSON object.

    :raise Problem: 415 when it is not sent as JSON; 400 when it is not a valid JSON object
        in UTF-8 (a lone surrogate, say, which no database could store).
    """
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise Problem(415, "Send the body as JSON, with Content-Type: application/json.")
    try:
        data = json.loads(request.get_data().decode("utf-8"), parse_constant=refuse_constant)
        # Lone surrogates decode from \ud800 escapes but are not Unicode text.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        raise Problem(400, "The body is not valid JSON in UTF-8.") from None
    if not isinstance(data, dict):
        raise Problem(400, "The body must be a JSON object.")
    return data

"""Errors of the Checkouts API as `application/problem+json` (RFC 9457).

Every refusal carries `type`, `title` (the status's reason phrase), `status` and `detail`;
a 422 adds `errors`, each field at fault mapped to its messages.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """A refusal to send as problem+json; raised anywhere in a view, answered at the edge."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> Response:
        """Return this problem as an HTTP response."""
        body = {
            "type": "about:blank",
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        response = Response(json.dumps(body), status=self.status, mimetype=PROBLEM_JSON)
        response.headers.update(self.headers)
        return response


def from_http_error(error: HTTPException, detail: str) -> Response:
    """Return the problem for an HTTP error raised by Flask or Werkzeug (404, 405, 413...)."""
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return Problem(error.code or 500, detail, headers=headers).response()


def handle_problem(problem: Problem) -> Response:
    return problem.response()

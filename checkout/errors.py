"""Errors at the edge: every failure becomes a clear page or JSON, never a stack trace.

Whoever owns a route decides how its errors are answered: a blueprint (or one endpoint)
whose clients are programs registers a renderer with `answer_errors`; the rest are pages
for people, unless the client asked for JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext, lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    SecurityError,
)
from werkzeug.wrappers import Response

from checkout import error_reports

log = structlog.get_logger(__name__)

EXTENSION = "error_renderers"

# Lazy: each is shown in the language of the request that failed.
MESSAGES = {
    400: lazy_gettext("The request could not be understood."),
    404: lazy_gettext("We could not find this page."),
    405: lazy_gettext("This address does not accept that kind of request."),
    413: lazy_gettext("The request is too large."),
    429: lazy_gettext("Too many attempts. Please wait a minute and try again."),
    500: lazy_gettext("Something went wrong on our side. Please try again in a minute."),
}

# Answers an error to a program, given the message meant for its reader.
Renderer = Callable[[HTTPException, str], Response]


@dataclass
class Renderers:
    """Who answers errors their own way: blueprints and endpoints by name, and URL prefixes
    a blueprint owns even where none of its routes matches (the API's 404s)."""

    by_owner: dict[str, Renderer] = field(default_factory=dict)
    by_prefix: dict[str, Renderer] = field(default_factory=dict)


def json_error(error: HTTPException, message: str) -> Response:
    """Answer an error as `{"error": ..., "status": ...}`, for programs."""
    response = jsonify(error=message, status=error.code)
    response.status_code = error.code or 500
    return response


def answer_errors(
    app: Flask, owner: str, renderer: Renderer = json_error, *, unmatched_prefix: str = ""
) -> None:
    """Answer the errors of `owner` — a blueprint, or one endpoint (`blueprint.view`) —
    with `renderer`; with `unmatched_prefix`, also those of URLs under it that no route
    matches."""
    renderers: Renderers = app.extensions.setdefault(EXTENSION, Renderers())
    renderers.by_owner[owner] = renderer
    if unmatched_prefix:
        renderers.by_prefix[unmatched_prefix] = renderer


def renderer_for_request() -> Renderer | None:
    """Return the renderer of the route this request's URL names, if its owner set one."""
    renderers: Renderers | None = current_app.extensions.get(EXTENSION)
    if renderers is None:
        return None
    endpoint = endpoint_named_by_url()
    if endpoint is not None:
        blueprint = endpoint.rpartition(".")[0]
        for owner in (endpoint, blueprint):
            if owner in renderers.by_owner:
                return renderers.by_owner[owner]
        return None
    for prefix, renderer in renderers.by_prefix.items():
        if request.path.startswith(prefix):
            return renderer
    return None


def endpoint_named_by_url() -> str | None:
    """Return the endpoint of the route matching this request's path, whatever its method
    or Host header (a 405, or an untrusted Host, still belongs to the route's owner)."""
    if request.url_rule is not None:
        return str(request.url_rule.endpoint)
    adapter = current_app.url_map.bind("localhost", script_name=request.script_root or "/")
    try:
        endpoint, _ = adapter.match(request.path, method=request.method)
    except MethodNotAllowed as error:
        methods = list(error.valid_methods or [])
        if not methods:
            return None
        try:
            endpoint, _ = adapter.match(request.path, method=methods[0])
        except HTTPException:
            return None
    except HTTPException:  # no route, or only a redirect to one
        return None
    return str(endpoint)


def client_wants_json() -> bool:
    """Tell whether the client prefers JSON to a page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def handle_http_error(error: HTTPException) -> tuple[Response | str, int]:
    """Answer an HTTP error as its route's owner says, else as JSON for programs that ask
    for it and as a page for people."""
    status = error.code or 500
    message = str(MESSAGES.get(status, error.name))
    # Our aborts carry a description meant for people; a rate limit's names the limit only.
    if status != 429 and error.description and error.description != type(error).description:
        message = error.description
    renderer = renderer_for_request()
    if renderer is not None:
        return renderer(error, message), status
    if client_wants_json():
        return json_error(error, message), status
    return render_template("errors/error.html", status=status, message=message), status


def handle_csrf_error(error: CSRFError) -> tuple[Response | str, int]:
    """Explain an expired or missing form token in words a customer understands."""
    error.description = gettext("Your form expired. Please go back, reload the page and try again.")
    return handle_http_error(error)


def handle_untrusted_host(error: SecurityError) -> tuple[Response | str, int]:
    """Refuse a Host we do not serve, in plain words: no link of ours can be built for it."""
    renderer = renderer_for_request()
    if renderer is not None:
        return renderer(error, error.description or ""), 400
    if client_wants_json():
        return json_error(error, error.description or ""), 400
    return Response(error.description, mimetype="text/plain"), 400


def handle_unexpected(error: Exception) -> tuple[Response | str, int]:
    """Log an unexpected failure and answer a plain 500 without any detail."""
    log.exception("unhandled_error", method=request.method, path=request.path)
    error_reports.report(error)
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)

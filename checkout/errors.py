"""Errors at the edge: every failure becomes a clear page or JSON, never a stack trace."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext, lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError
from werkzeug.wrappers import Response

from checkout.api import problems

# The Checkouts API answers every error as problem+json (RFC 9457), even for URLs it lacks.
API_PREFIX = "/api/"

# Lazy: each is shown in the language of the request that failed.
MESSAGES = {
    400: lazy_gettext("The request could not be understood."),
    404: lazy_gettext("We could not find this page."),
    405: lazy_gettext("This address does not accept that kind of request."),
    413: lazy_gettext("The request is too large."),
    429: lazy_gettext("Too many attempts. Please wait a minute and try again."),
    500: lazy_gettext("Something went wrong on our side. Please try again in a minute."),
}


def wants_json() -> bool:
    """Tell whether the client is a program (API routes, or it asked for JSON)."""
    path = request.path
    if path.startswith(("/callback", "/sandbox/api/jsapi/obtain_token", "/healthz")):
        return True
    if path.endswith("/status"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def handle_http_error(error: HTTPException) -> tuple[Response | str, int]:
    """Answer an HTTP error as JSON for programs and as a page for people."""
    status = error.code or 500
    message = str(MESSAGES.get(status, error.name))
    # Our aborts carry a description meant for people; a rate limit's names the limit only.
    if status != 429 and error.description and error.description != type(error).description:
        message = error.description
    if request.path.startswith(API_PREFIX):
        return problems.from_http_error(error, message), status
    if wants_json():
        return jsonify(error=message, status=status), status
    return render_template("errors/error.html", status=status, message=message), status


def handle_csrf_error(error: CSRFError) -> tuple[Response | str, int]:
    """Explain an expired or missing form token in words a customer understands."""
    error.description = gettext("Your form expired. Please go back, reload the page and try again.")
    return handle_http_error(error)


def handle_untrusted_host(error: SecurityError) -> tuple[Response | str, int]:
    """Refuse a Host we do not serve, in plain words: no link of ours can be built for it."""
    if wants_json():
        return jsonify(error=error.description, status=400), 400
    return Response(error.description, mimetype="text/plain"), 400


def handle_unexpected(error: Exception) -> tuple[Response | str, int]:
    """Log an unexpected failure and answer a plain 500 without any detail."""
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)

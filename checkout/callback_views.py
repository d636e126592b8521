"""`POST /callback`: the gateway's server-to-server report of an invoice's status."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from werkzeug.wrappers import Response

from checkout import callbacks, errors
from checkout.extensions import csrf

bp = Blueprint("callbacks", __name__)
# The gateway cannot hold our CSRF token; the signature authenticates each callback.
csrf.exempt(bp)


@bp.post("/callback")
def receive() -> tuple[Response, int]:
    record = callbacks.store(request)
    try:
        callbacks.check_source(record)
        outcome = callbacks.process(record)
    except callbacks.CallbackRejected as rejection:
        return jsonify(error=rejection.message, outcome=rejection.outcome), rejection.status
    return jsonify(status="ok", outcome=outcome), 200


def init_app(app: Flask) -> None:
    """Mount `POST /callback`; the gateway reads its errors as JSON, like its answers."""
    app.register_blueprint(bp)
    errors.answer_errors(app, bp.name)

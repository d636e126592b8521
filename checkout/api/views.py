"""The Checkouts API's routes (docs/api.md): create and read checkouts, read orders."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from werkzeug.wrappers import Response

from checkout import checkouts, idempotency
from checkout.api import auth, body
from checkout.api.openapi import openapi_document
from checkout.api.problems import Problem, handle_problem
from checkout.checkout_input import InvalidCheckout, read_checkout_request
from checkout.idempotency import KeyReused, StoredAnswer
from checkout.objects import checkout_object, order_object
from checkout.security import no_store

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(auth.require_api_key)
bp.register_error_handler(Problem, handle_problem)
# Answers hold customers' data and change with every payment.
bp.after_request(no_store)

# A checkout's body is a few KB at most (metadata ≤ 4 KB): refuse more before reading it.
MAX_BODY_BYTES = 64 * 1024


@bp.before_request
def limit_body() -> None:
    request.max_content_length = MAX_BODY_BYTES


@bp.post("/checkouts")
def create_checkout() -> Response:
    data = body.json_object()
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        try:
            idempotency.check_key(key)
        except ValueError as error:
            raise Problem(400, str(error)) from None
    try:
        created, replayed = idempotency.create_once(key, data, lambda: new_checkout(data))
    except KeyReused:
        raise Problem(
            422,
            "This Idempotency-Key was used with a different body; use a new key.",
            errors={"Idempotency-Key": ["Already used with a different body."]},
        ) from None
    response = answer(created)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def new_checkout(data: dict[str, Any]) -> StoredAnswer:
    """Create a checkout from the merchant's fields (committed by the caller); answer 201.

    :raise Problem: 422 naming every field at fault.
    """
    try:
        checkout_request = read_checkout_request(data)
    except InvalidCheckout as error:
        raise Problem(422, "Some fields are not valid: see errors.", errors=error.errors) from None
    checkout = checkouts.create_checkout(checkout_request)
    # Spelled as jsonify spells the GET answers, so a checkout reads the same everywhere.
    return StoredAnswer(201, current_app.json.dumps(checkout_object(checkout)))


def answer(stored: StoredAnswer) -> Response:
    """Return a creation's answer, new or stored."""
    response = Response(stored.body, status=stored.status_code, mimetype="application/json")
    checkout_id = json.loads(stored.body)["id"]
    response.headers["Location"] = url_for("api.get_checkout", checkout_id=checkout_id)
    return response


@bp.get("/checkouts/<request_id:checkout_id>")
def get_checkout(checkout_id: str) -> Response:
    checkout = checkouts.get_checkout(checkout_id)
    if checkout is None:
        abort(404, description="There is no checkout with this id.")
    return jsonify(checkout_object(checkout))


@bp.get("/orders/<request_id:request_id>")
def get_order_object(request_id: str) -> Response:
    order = checkouts.current_order(request_id)
    if order is None:
        abort(404, description="There is no order with this request_id.")
    return jsonify(order_object(order))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())

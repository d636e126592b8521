"""The OpenAPI description and the live API agree: every documented status of every operation
is produced here and its body checked against the documented schema, every field the API
accepts is documented, and docs/api.md shows the description as it is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

from checkout.api.openapi import openapi_document
from checkout.checkout_input import FIELDS
from checkout.extensions import db
from checkout.models import Order
from scripts.api_docs import DOC, reference_markdown, with_reference
from tests.support.api import AUTH, CHECKOUTS, new_checkout, pay_at_checkout, request_id_from
from tests.support.callbacks import callback_for

FULL_BODY = {
    "site_login": "alice",
    "amount": 9000,
    "currency": "KZT",
    "method": "cis_transfer",
    "bank_app": "sberbank",
    "language": "RU",
    "customer_type": "trust",
    "return_url": "https://shop.example/wallet",
    "metadata": {"user_id": 42},
    "expires_in": 600,
}


def paid_order(app: Flask, client: FlaskClient) -> str:
    """Start and pay an order of a new checkout; return its request_id."""
    request_id = request_id_from(pay_at_checkout(client, new_checkout(client), method="card"))
    with app.app_context():
        order = db.session.scalar(db.select(Order).filter_by(request_id=request_id))
        body = callback_for(app, order)
    assert client.post("/callback", json=body).status_code == 200
    return request_id


def checkout_with_orders(app: Flask, client: FlaskClient) -> str:
    checkout = new_checkout(client)
    request_id_from(pay_at_checkout(client, checkout))
    return checkout["id"]


Call = Callable[[Flask, FlaskClient], TestResponse]

# How to make the live API give each documented answer: (path, method, status) → request.
CASES: dict[tuple[str, str, str], Call] = {
    ("/checkouts", "post", "201"): lambda app, c: c.post(CHECKOUTS, json=FULL_BODY, headers=AUTH),
    ("/checkouts", "post", "400"): lambda app, c: c.post(
        CHECKOUTS, data=b"{", headers={**AUTH, "Content-Type": "application/json"}
    ),
    ("/checkouts", "post", "401"): lambda app, c: c.post(CHECKOUTS, json=FULL_BODY),
    ("/checkouts", "post", "413"): lambda app, c: c.post(
        CHECKOUTS, json={"site_login": "a" * 70_000}, headers=AUTH
    ),
    ("/checkouts", "post", "415"): lambda app, c: c.post(
        CHECKOUTS, data=b"{}", headers={**AUTH, "Content-Type": "text/plain"}
    ),
    ("/checkouts", "post", "422"): lambda app, c: c.post(
        CHECKOUTS, json={**FULL_BODY, "amount": 0}, headers=AUTH
    ),
    ("/checkouts/{id}", "get", "200"): lambda app, c: c.get(
        f"{CHECKOUTS}/{checkout_with_orders(app, c)}", headers=AUTH
    ),
    ("/checkouts/{id}", "get", "401"): lambda app, c: c.get(f"{CHECKOUTS}/x"),
    ("/checkouts/{id}", "get", "404"): lambda app, c: c.get(f"{CHECKOUTS}/x", headers=AUTH),
    ("/orders/{request_id}", "get", "200"): lambda app, c: c.get(
        f"/api/v1/orders/{paid_order(app, c)}", headers=AUTH
    ),
    ("/orders/{request_id}", "get", "401"): lambda app, c: c.get("/api/v1/orders/x"),
    ("/orders/{request_id}", "get", "404"): lambda app, c: c.get("/api/v1/orders/x", headers=AUTH),
}


def documented_answers() -> dict[tuple[str, str, str], dict]:
    document = openapi_document()
    return {
        (path, method, status): answer
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
    }


def validator(schema_ref: dict) -> Draft202012Validator:
    """Return a validator for a schema of the description, its $refs resolved within it."""
    return Draft202012Validator({**openapi_document(), **schema_ref})


def test_every_documented_answer_is_tested_here() -> None:
    assert set(CASES) == set(documented_answers())


@pytest.mark.parametrize("case", sorted(CASES), ids="-".join)
def test_live_answer_matches_its_description(
    app: Flask, client: FlaskClient, case: tuple[str, str, str]
) -> None:
    answer = documented_answers()[case]
    response = CASES[case](app, client)

    assert str(response.status_code) == case[2], response.get_data(as_text=True)
    [(content_type, media)] = answer["content"].items()
    assert response.mimetype == content_type
    errors = list(validator(media["schema"]).iter_errors(response.get_json(force=True)))
    assert errors == [], [error.message for error in errors]
    for header in answer.get("headers", {}):
        if header != "Idempotent-Replayed":  # only on a replay
            assert header in response.headers


def test_the_documented_request_body_is_what_the_api_accepts() -> None:
    schema = openapi_document()["components"]["schemas"]["CheckoutCreate"]
    assert tuple(schema["properties"]) == FIELDS
    assert (
        list(validator({"$ref": "#/components/schemas/CheckoutCreate"}).iter_errors(FULL_BODY))
        == []
    )


def test_every_schema_is_valid_json_schema() -> None:
    for schema in openapi_document()["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_the_description_is_served_without_a_key(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == openapi_document()
    assert response.get_json()["openapi"] == "3.1.0"


def test_docs_api_md_shows_the_current_description() -> None:
    """Fails when the description changed without `python -m scripts.api_docs`."""
    text = Path(DOC).read_text(encoding="utf-8")
    assert with_reference(text, reference_markdown(openapi_document())) == text

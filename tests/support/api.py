"""Helpers for the Checkouts API tests: the development key, and a checkout made through it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from config import DEV_MERCHANT_API_KEY
from tests.support.checkout import checkout_data

AUTH = {"Authorization": f"Bearer {DEV_MERCHANT_API_KEY}"}
CHECKOUTS = "/api/v1/checkouts"


def post_checkout_api(client: FlaskClient, body: Any, **headers: str) -> TestResponse:
    """POST a JSON body to create a checkout, with the API key (and extra headers)."""
    return client.post(CHECKOUTS, json=body, headers={**AUTH, **headers})


def new_checkout(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    """Create a checkout for alice (90.00 KZT unless `fields` say otherwise); return it."""
    body = {"site_login": "alice", "amount": 9000, "currency": "KZT", **fields}
    body = {name: value for name, value in body.items() if value is not None}
    response = post_checkout_api(client, body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def checkout_path(checkout: dict[str, Any]) -> str:
    """Return the path of a checkout's customer page, from its absolute url."""
    return "/" + checkout["url"].split("/", 3)[3]


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    """Check that a response is an RFC 9457 problem of this status; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json(force=True)
    assert problem["status"] == status
    assert problem["title"] and problem["detail"] and problem["type"]
    return problem


def pay_at_checkout(client: FlaskClient, checkout: dict[str, Any], **fields: str) -> TestResponse:
    """Open the checkout's page as its customer and post it with `fields` (see checkout_data)."""
    page = client.get(checkout_path(checkout)).get_data(as_text=True)
    return client.post(checkout_path(checkout), data=checkout_data(page, **fields))


def request_id_from(response: TestResponse) -> str:
    """Return the request_id of the `/pay/<request_id>` a started payment redirects to."""
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]

"""Errors answered as the route's owner says: programs get JSON (the API problem+json), people
a page, and nobody a stack trace — decided per blueprint or endpoint, not per URL."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask, abort

from checkout import errors

PAGE, JSON, PROBLEM = "text/html", "application/json", "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path", "status", "mimetype"),
    [
        # The gateway's callback: a 405 belongs to its route too.
        ("GET", "/callback", 405, JSON),
        ("POST", "/healthz", 405, JSON),
        ("POST", "/readyz", 405, JSON),
        ("GET", "/orders/nobody/status", 404, JSON),
        ("POST", "/orders/nobody/status", 405, JSON),
        ("GET", "/api/v1/orders/nobody", 401, PROBLEM),
        # The API's namespace, even where it has no route.
        ("GET", "/api/v2/nothing", 404, PROBLEM),
        ("DELETE", "/api/v1/checkouts", 405, PROBLEM),
        # The customer's pages, and URLs nobody owns.
        ("GET", "/orders/nobody", 404, PAGE),
        ("GET", "/pay/nobody", 404, PAGE),
        ("DELETE", "/", 405, PAGE),
        ("GET", "/callbacks", 404, PAGE),
        ("GET", "/no/such/page", 404, PAGE),
    ],
)
def test_each_route_answers_errors_its_owners_way(client, method, path, status, mimetype):
    response = client.open(path, method=method)
    assert (response.status_code, response.mimetype) == (status, mimetype)


def test_a_program_that_asks_for_json_gets_json_anywhere(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "We could not find this page.", "status": 404}


def test_a_foreign_host_on_a_programs_route_is_refused_as_json(client):
    response = client.post("/callback", base_url="http://evil.example")
    assert (response.status_code, response.mimetype) == (400, JSON)
    assert client.get("/", base_url="http://evil.example").mimetype == "text/plain"


def test_a_blueprint_registers_how_its_errors_are_answered(app: Flask):
    bp = Blueprint("machines", __name__)

    @bp.get("/machines/<name>")
    def machine(name: str) -> str:
        abort(404, description=f"no machine {name}")

    app.register_blueprint(bp)
    errors.answer_errors(app, bp.name)
    response = app.test_client().get("/machines/x")
    assert response.status_code == 404
    assert response.get_json() == {"error": "no machine x", "status": 404}
    assert app.test_client().post("/machines/x").mimetype == JSON

"""Errors at the edge, answered as the route's owner says: programs get JSON (the API
problem+json), people a page, and nobody a stack trace or the text of an exception —
decided per blueprint or endpoint, not per URL."""

from __future__ import annotations

import logging

import pytest
from flask import Blueprint, Flask, abort
from flask.testing import FlaskClient

from checkout import errors
from checkout.api import problems
from tests.support.logs import logged

PAGE, JSON, PROBLEM = "text/html", "application/json", "application/problem+json"
SECRET_DETAIL = "database password is hunter22"
SORRY = "Something went wrong on our side. Please try again in a minute."


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The test app with routes that fail, one per kind of owner, added before any request."""

    def fail() -> str:
        raise RuntimeError(SECRET_DETAIL)

    def refuse() -> str:
        abort(409, description="This order was already paid.")

    owners = {
        "/boom": None,
        "/machines/boom": errors.json_error,
        "/api/v1/boom": problems.from_http_error,
    }
    for path, renderer in owners.items():
        app.add_url_rule(path, endpoint=path, view_func=fail)
        if renderer is not None:
            errors.answer_errors(app, path, renderer)
    app.add_url_rule("/refuse", view_func=refuse)
    return app


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


@pytest.mark.parametrize(
    ("path", "accept", "kind"),
    [
        ("/no-such-page", "text/html", "page"),
        ("/no-such-page", "*/*", "page"),
        ("/no-such-page", "application/json", "json"),
        # No route owns these: a program's prefix alone decides nothing.
        ("/orders/a/b/status", "text/html", "page"),
        ("/callback/nope", "text/html", "page"),
        ("/healthz/nope", "text/html", "page"),
        ("/api/v1/nope", "text/html", "problem"),  # the API answers every error as a problem
        ("/api/v1/nope", "application/json", "problem"),
    ],
)
def test_each_client_gets_its_own_kind_of_404(client: FlaskClient, path, accept, kind):
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 404
    message = "We could not find this page."
    if kind == "page":
        assert response.mimetype == PAGE
        assert message in response.get_data(as_text=True)
    elif kind == "json":
        assert response.mimetype == JSON
        assert response.get_json() == {"error": message, "status": 404}
    else:
        assert response.mimetype == PROBLEM
        problem = response.get_json(force=True)
        assert (problem["status"], problem["detail"]) == (404, message)


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [("/boom", PAGE), ("/machines/boom", JSON), ("/api/v1/boom", PROBLEM)],
)
def test_an_unexpected_failure_is_a_plain_500_and_logged(failing_app, caplog, path, mimetype):
    caplog.set_level(logging.ERROR)
    response = failing_app.test_client().get(path)
    assert (response.status_code, response.mimetype) == (500, mimetype)
    text = response.get_data(as_text=True)
    assert SORRY in text
    assert SECRET_DETAIL not in text and "Traceback" not in text and "RuntimeError" not in text
    [line] = logged(caplog, "unhandled_error")
    assert line["path"] == path


def test_a_refusal_meant_for_people_keeps_its_own_words(failing_app):
    client = failing_app.test_client()
    page = client.get("/refuse")
    assert page.status_code == 409
    assert "This order was already paid." in page.get_data(as_text=True)
    as_json = client.get("/refuse", headers={"Accept": "application/json"})
    assert as_json.get_json() == {"error": "This order was already paid.", "status": 409}


def test_a_program_that_asks_for_json_gets_json_anywhere(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "We could not find this page.", "status": 404}


def test_a_wrong_method_names_itself_in_words(client: FlaskClient):
    response = client.get("/callback")
    assert response.status_code == 405
    assert response.get_json() == {
        "error": "This address does not accept that kind of request.",
        "status": 405,
    }


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_an_expired_form_is_explained_to_the_customer(client: FlaskClient):
    response = client.post("/", data={"amount": "90.00"})
    assert response.status_code == 400
    assert response.mimetype == PAGE
    assert "Your form expired. Please go back, reload the page and try again." in (
        response.get_data(as_text=True)
    )


@pytest.mark.parametrize(
    ("method", "path", "mimetype"),
    [("GET", "/", "text/plain"), ("GET", "/orders/x/status", JSON), ("POST", "/callback", JSON)],
)
def test_an_untrusted_host_is_refused_in_plain_words_as_the_route_answers(
    client: FlaskClient, method, path, mimetype
):
    response = client.open(path, method=method, base_url="http://evil.example")
    assert (response.status_code, response.mimetype) == (400, mimetype)
    assert "evil.example" in response.get_data(as_text=True)


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

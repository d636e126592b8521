"""Errors at the edge: programs get JSON (problem+json under /api/), people get a page, and
nobody gets a stack trace or the text of an exception."""

from __future__ import annotations

import logging

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

from tests.support.logs import logged

SECRET_DETAIL = "database password is hunter22"
SORRY = "Something went wrong on our side. Please try again in a minute."


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The test app with routes that fail, one per kind of client, added before any request."""

    def fail() -> str:
        raise RuntimeError(SECRET_DETAIL)

    def refuse() -> str:
        abort(409, description="This order was already paid.")

    for path in ("/boom", "/orders/boom/status", "/api/v1/boom"):
        app.add_url_rule(path, endpoint=path, view_func=fail)
    app.add_url_rule("/refuse", view_func=refuse)
    return app


@pytest.mark.parametrize(
    ("path", "accept", "kind"),
    [
        ("/no-such-page", "text/html", "page"),
        ("/no-such-page", "*/*", "page"),
        ("/no-such-page", "application/json", "json"),
        ("/orders/a/b/status", "text/html", "json"),  # a page's poll, whatever it accepts
        ("/callback/nope", "text/html", "json"),  # the gateway's
        ("/healthz/nope", "text/html", "json"),
        ("/api/v1/nope", "text/html", "problem"),  # the API answers every error as a problem
        ("/api/v1/nope", "application/json", "problem"),
    ],
)
def test_each_client_gets_its_own_kind_of_404(client: FlaskClient, path, accept, kind):
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 404
    message = "We could not find this page."
    if kind == "page":
        assert response.mimetype == "text/html"
        assert message in response.get_data(as_text=True)
    elif kind == "json":
        assert response.mimetype == "application/json"
        assert response.get_json() == {"error": message, "status": 404}
    else:
        assert response.mimetype == "application/problem+json"
        problem = response.get_json(force=True)
        assert (problem["status"], problem["detail"]) == (404, message)


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("/boom", "text/html"),
        ("/orders/boom/status", "application/json"),
        ("/api/v1/boom", "application/problem+json"),
    ],
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
    assert response.mimetype == "text/html"
    assert "Your form expired. Please go back, reload the page and try again." in (
        response.get_data(as_text=True)
    )


@pytest.mark.parametrize(
    ("path", "mimetype"), [("/", "text/plain"), ("/orders/x/status", "application/json")]
)
def test_an_untrusted_host_is_refused_in_plain_words(client: FlaskClient, path, mimetype):
    response = client.get(path, base_url="http://evil.example")
    assert (response.status_code, response.mimetype) == (400, mimetype)
    assert "evil.example" in response.get_data(as_text=True)

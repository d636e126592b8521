"""What an operator can type into the back office's URLs gets a 400 that says why, never a
500 — on SQLite and on PostgreSQL, which refuses NUL in text and counts only to BIGINT."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from checkout.repository import MAX_PAGE
from tests.support.admin import CREDENTIALS, listed_request_ids, sign_in
from tests.support.apps import close_app, make_app
from tests.support.orders import make_order


@pytest.fixture
def admin(database_url: str) -> Iterator[tuple[FlaskClient, str]]:
    """A signed-in back office on each engine, with one order; and its request_id."""
    app = make_app(database_url, **CREDENTIALS)
    with app.app_context():
        request_id = make_order().request_id
    client = app.test_client()
    sign_in(client)
    yield client, request_id
    close_app(app)


PAGE_RANGE = f"The page must be a whole number from 1 to {MAX_PAGE}."
BAD_FILTERS = [
    ({"date_to": "9999-12-31"}, "Choose an end date before 9999-12-31."),
    ({"q": "al\x00ice"}, "The search cannot contain control characters."),
    ({"q": "\x1b[2J"}, "The search cannot contain control characters."),
    ({"date_from": "2026-05-03", "date_to": "2026-05-01"}, "The end date is before the start"),
]
BAD_PAGES = ["99999999999999999999", str(MAX_PAGE + 1), "9" * 5000, "0", "-1", "two", "1.5"]


@pytest.mark.parametrize(("query", "message"), BAD_FILTERS)
def test_a_bad_filter_is_a_400_that_says_why(admin, query: dict, message: str) -> None:
    client, _request_id = admin
    response = client.get("/admin/", query_string=query)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(("query", "message"), BAD_FILTERS)
def test_the_csv_of_a_bad_filter_is_a_400_that_says_why(admin, query: dict, message: str) -> None:
    client, _request_id = admin
    response = client.get("/admin/orders.csv", query_string=query)
    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert "The filters are not valid" in text
    assert message in text


@pytest.mark.parametrize("listing", ["/admin/", "/admin/checkouts", "/admin/webhooks"])
@pytest.mark.parametrize("page", BAD_PAGES)
def test_a_page_that_is_not_one_is_a_400_saying_which_are(admin, listing: str, page: str) -> None:
    client, _request_id = admin
    response = client.get(listing, query_string={"page": page})
    assert response.status_code == 400
    assert PAGE_RANGE in html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("listing", ["/admin/", "/admin/checkouts", "/admin/webhooks"])
def test_the_last_page_a_database_can_count_to_is_empty(admin, listing: str) -> None:
    client, _request_id = admin
    response = client.get(listing, query_string={"page": str(MAX_PAGE)})
    assert response.status_code == 200
    assert listed_request_ids(response.get_data(as_text=True)) == []


def test_the_first_page_still_lists_the_order(admin) -> None:
    client, request_id = admin
    response = client.get("/admin/", query_string={"page": "1", "q": request_id[:8]})
    assert response.status_code == 200
    assert listed_request_ids(response.get_data(as_text=True)) == [request_id]


@pytest.mark.parametrize("path", ["/admin/orders/%00", "/admin/orders/a%20b", "/admin/orders/x.y"])
def test_what_cannot_be_a_request_id_is_a_404_in_the_back_office(admin, path: str) -> None:
    client, _request_id = admin
    assert client.get(path).status_code == 404

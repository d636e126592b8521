"""The orders list page: filters from the query string, badges, flags, totals, pages."""

from __future__ import annotations

import html
from datetime import datetime

import pytest

from checkout.money import format_minor
from checkout.repository import PER_PAGE
from tests.support.admin import listed_request_ids
from tests.support.orders import make_order


@pytest.fixture
def orders(app) -> dict[str, str]:
    """Create a few orders; return their request_ids by login."""
    specs = {
        "alice": {"status": "paid", "amount": 9000, "created_at": datetime(2026, 5, 1, 10)},
        "bob": {
            "status": "failed",
            "currency": "USD",
            "method": "sbp",
            "created_at": datetime(2026, 5, 2, 12),
        },
        "carol": {"status": "pending", "created_at": datetime(2026, 5, 3, 23, 59)},
        "dave": {
            "status": "paid",
            "amount": 1050,
            "created_at": datetime(2026, 5, 4),
            "review_reason": "callback 7 reported fail after paid",
        },
    }
    with app.app_context():
        return {
            login: make_order(site_login=login, **spec).request_id for login, spec in specs.items()
        }


def shown(response) -> list[str]:
    return listed_request_ids(response.text)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["dave", "carol", "bob", "alice"]),
        ({"status": "paid"}, ["dave", "alice"]),
        ({"method": "sbp"}, ["bob"]),
        ({"currency": "USD"}, ["bob"]),
        ({"date_from": "2026-05-02", "date_to": "2026-05-03"}, ["carol", "bob"]),
        ({"q": "aro"}, ["carol"]),
        ({"flagged": "y"}, ["dave"]),
    ],
)
def test_list_applies_the_filters_in_the_query_string(admin, orders, query, expected):
    response = admin.get("/admin/", query_string=query)
    assert response.status_code == 200
    assert shown(response) == [orders[login] for login in expected]


def test_the_unfiltered_list_shows_no_filter_errors(admin, orders):
    page = admin.get("/admin/").text
    assert 'class="field-error"' in page  # the macro renders hidden placeholders
    assert "has-error" not in page
    assert "Not a valid choice." not in page


def test_search_by_request_id_finds_that_order(admin, orders):
    response = admin.get("/admin/", query_string={"q": orders["bob"]})
    assert shown(response) == [orders["bob"]]


@pytest.mark.parametrize(
    ("query", "message", "expected"),
    [
        ({"status": "bogus"}, "Not a valid choice.", ["dave", "carol", "bob", "alice"]),
        ({"date_from": "yesterday"}, "Not a valid date value.", ["dave", "carol", "bob", "alice"]),
        (
            {"date_from": "2026-05-03", "date_to": "2026-05-01"},
            "The end date is before the start date.",
            ["dave", "carol"],
        ),
        (
            {"date_to": "9999-12-31"},
            "Choose an end date before 9999-12-31.",
            ["dave", "carol", "bob", "alice"],
        ),
        (
            {"q": "al\x00ice"},
            "The search cannot contain control characters.",
            ["dave", "carol", "bob", "alice"],
        ),
        (
            {"q": "\x1b[2J"},
            "The search cannot contain control characters.",
            ["dave", "carol", "bob", "alice"],
        ),
    ],
)
def test_an_invalid_filter_is_explained_and_only_it_is_ignored(
    admin, orders, query, message, expected
):
    response = admin.get("/admin/", query_string=query)
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert shown(response) == [orders[login] for login in expected]


def test_rows_carry_status_badges_and_amounts_per_currency(admin, orders):
    page = admin.get("/admin/").text
    assert '<span class="badge badge-failed">failed</span>' in page
    assert format_minor(9000, "KZT") in page
    assert format_minor(9000, "USD") in page


def test_flagged_orders_are_highlighted(admin, orders):
    page = admin.get("/admin/").text
    flagged_row = page[page.index('<tr class="flagged">') :].split("</tr>")[0]
    assert orders["dave"] in flagged_row
    assert "Needs review" in flagged_row
    assert page.count('class="flagged"') == 1


def test_paid_totals_of_the_filtered_orders_are_shown(admin, orders):
    page = admin.get("/admin/").text
    assert format_minor(10050, "KZT") in page
    filtered = admin.get("/admin/", query_string={"q": "alice"}).text
    assert format_minor(9000, "KZT") in filtered
    assert format_minor(10050, "KZT") not in filtered


def test_pages_link_onwards_keeping_the_filters(app, admin):
    with app.app_context():
        for index in range(PER_PAGE + 1):
            make_order(site_login=f"bulk{index}", created_at=datetime(2026, 6, 1, 0, index))
    first = admin.get("/admin/", query_string={"q": "bulk"})
    assert len(shown(first)) == PER_PAGE
    assert 'href="/admin/?page=2&amp;q=bulk"' in first.text
    second = admin.get("/admin/", query_string={"q": "bulk", "page": 2})
    assert len(shown(second)) == 1
    assert "page 2 of 2" in second.text


def test_csv_link_carries_the_filters(admin, orders):
    page = admin.get("/admin/", query_string={"status": "paid", "q": "a"}).text
    assert 'href="/admin/orders.csv?status=paid&amp;q=a"' in page


def test_admin_pages_show_the_test_mode_banner(admin, orders):
    assert "Test mode" in admin.get("/admin/").text
    assert "Test mode" in admin.get(f"/admin/orders/{orders['alice']}").text

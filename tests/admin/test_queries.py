"""The shared orders filter, pages and totals, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest

from checkout.admin.repository import (
    CurrencyTotal,
    OrderFilter,
    count_orders,
    page_of_orders,
    paid_totals,
)
from checkout.models import OrderStatus
from checkout.repository import PER_PAGE
from tests.support.apps import close_app, make_app
from tests.support.orders import make_order

ORDERS = {
    # login: (status, amount, currency, method, created, review_reason)
    "alice": ("paid", 9000, "KZT", "card", datetime(2026, 5, 1, 10), None),
    "bob": ("failed", 1250, "USD", "sbp", datetime(2026, 5, 2, 23, 59), None),
    "carol": ("pending", 500, "KZT", "qiwi", datetime(2026, 5, 3, 0, 0), None),
    "dave": ("paid", 1999, "USD", "card", datetime(2026, 5, 4, 8), "amount mismatch"),
    "erin": ("paid", 1050, "KZT", "sbp", datetime(2026, 5, 5, 8), None),
    "a_b": ("expired", 100, "KZT", "card", datetime(2026, 5, 6, 1), None),
    "axb": ("expired", 100, "KZT", "card", datetime(2026, 5, 6, 2), None),
    "50%off": ("created", 100, "KZT", "card", datetime(2026, 5, 6, 3), None),
}


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    with app.app_context():
        for number, (login, order) in enumerate(ORDERS.items()):
            status, amount, currency, method, created, reason = order
            make_order(
                status,
                # The search also looks at request ids: random ones could hold a search term.
                request_id=f"order{number:02d}",
                site_login=login,
                amount=amount,
                currency=currency,
                method=method,
                created_at=created,
                review_reason=reason,
            )
    yield app
    close_app(app)


def logins(app, order_filter: OrderFilter) -> list[str]:
    with app.app_context():
        return [order.site_login for order in page_of_orders(order_filter, 1).items]


@pytest.mark.parametrize(
    ("order_filter", "expected"),
    [
        (OrderFilter(status=OrderStatus.PAID), ["erin", "dave", "alice"]),
        (OrderFilter(method="sbp"), ["erin", "bob"]),
        (OrderFilter(currency="USD"), ["dave", "bob"]),
        (OrderFilter(currency="usd"), ["dave", "bob"]),
        (
            OrderFilter(since=datetime(2026, 5, 2), until=datetime(2026, 5, 3)),
            ["bob"],
        ),
        (OrderFilter(since=datetime(2026, 5, 5)), ["50%off", "axb", "a_b", "erin"]),
        (OrderFilter(until=datetime(2026, 5, 2)), ["alice"]),
        (OrderFilter(status=OrderStatus.PAID, currency="KZT"), ["erin", "alice"]),
        (OrderFilter(flagged=True), ["dave"]),
        (OrderFilter(search="CAR"), ["carol"]),
        (OrderFilter(search=" li "), ["alice"]),
        (OrderFilter(search="a_b"), ["a_b"]),
        (OrderFilter(search="%"), ["50%off"]),
        (OrderFilter(search="zzz"), []),
    ],
)
def test_filter_selects_matching_orders_newest_first(app, order_filter, expected):
    assert logins(app, order_filter) == expected


def test_search_finds_an_order_by_the_start_of_its_request_id(app):
    with app.app_context():
        order = make_order(site_login="zed")
        found = page_of_orders(OrderFilter(search=order.request_id[:10]), 1).items
        assert [item.request_id for item in found] == [order.request_id]


def test_paid_totals_sum_paid_orders_per_currency_in_minor_units(app):
    with app.app_context():
        assert paid_totals(OrderFilter()) == [
            CurrencyTotal("KZT", 2, 10050),
            CurrencyTotal("USD", 1, 1999),
        ]


def test_paid_totals_follow_the_filter(app):
    with app.app_context():
        assert paid_totals(OrderFilter(method="sbp")) == [CurrencyTotal("KZT", 1, 1050)]
        assert paid_totals(OrderFilter(status=OrderStatus.FAILED)) == []


def test_paid_totals_stay_exact_beyond_float_precision(app):
    with app.app_context():
        make_order("paid", amount=2**53 + 1, currency="EUR")
        make_order("paid", amount=2, currency="EUR")
        assert paid_totals(OrderFilter(currency="EUR")) == [CurrencyTotal("EUR", 2, 2**53 + 3)]


def test_a_page_holds_the_fifty_newest_orders(app):
    with app.app_context():
        for index in range(PER_PAGE):
            make_order(site_login=f"bulk{index}", created_at=datetime(2026, 6, 1, 0, index))
        page = page_of_orders(OrderFilter(), 1)
        assert page.total == PER_PAGE + len(ORDERS)
        assert [order.site_login for order in page.items] == [
            f"bulk{index}" for index in reversed(range(PER_PAGE))
        ]


def test_the_next_page_holds_the_rest(app):
    with app.app_context():
        for index in range(PER_PAGE):
            make_order(site_login=f"bulk{index}", created_at=datetime(2026, 6, 1, 0, index))
        assert len(page_of_orders(OrderFilter(), 2).items) == len(ORDERS)
        assert page_of_orders(OrderFilter(), 3).items == []


def test_count_matches_the_filter(app):
    with app.app_context():
        assert count_orders(OrderFilter(currency="KZT")) == 6

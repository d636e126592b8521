"""The customer's view of an order: the database's word only, updating by itself."""

from __future__ import annotations

import pytest

from tests.support.orders import make_order


@pytest.mark.parametrize(
    ("status", "heading"),
    [
        ("paid", "Payment received"),
        ("failed", "Payment failed"),
        ("expired", "Payment expired"),
        ("pending", "Confirming your payment"),
        ("created", "Confirming your payment"),
    ],
)
def test_order_page_shows_the_stored_state(app, client, status, heading):
    with app.app_context():
        order = make_order(status=status)
    page = client.get(f"/orders/{order.request_id}").get_data(as_text=True)
    assert heading in page
    assert "KZT" in page and "90.00" in page


@pytest.mark.parametrize("suffix", ["success", "success?status=success&paid=1", "fail"])
def test_success_and_fail_pages_show_the_order_not_the_redirect(app, client, suffix):
    with app.app_context():
        order = make_order(status="pending")
    page = client.get(f"/orders/{order.request_id}/{suffix}").get_data(as_text=True)
    assert "Confirming your payment" in page
    assert "Payment received" not in page
    status = client.get(f"/orders/{order.request_id}/status").json["status"]
    assert status == "pending"


def test_pending_page_refreshes_without_javascript_and_polls_with_it(app, client):
    with app.app_context():
        order = make_order(status="pending")
    page = client.get(f"/orders/{order.request_id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh"' in page
    assert f'data-status-url="/orders/{order.request_id}/status"' in page
    assert "/static/js/status.js" in page


def test_final_page_stops_refreshing(app, client):
    with app.app_context():
        order = make_order(status="paid")
    page = client.get(f"/orders/{order.request_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page
    assert 'data-status="paid"' in page


def test_pay_page_of_a_final_order_goes_to_the_order_page(app, client):
    with app.app_context():
        order = make_order(status="paid")
    response = client.get(f"/pay/{order.request_id}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{order.request_id}"


def test_pay_page_polls_for_the_outcome(app, client):
    with app.app_context():
        order = make_order(status="pending")
    page = client.get(f"/pay/{order.request_id}").get_data(as_text=True)
    assert f'data-status-url="/orders/{order.request_id}/status"' in page
    assert f'data-order-url="/orders/{order.request_id}"' in page
    assert "/static/js/status.js" in page

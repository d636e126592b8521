"""Checkouts expire by themselves: past `expires_at` a checkout is expired everywhere, its
payment under way expires through the orders' state machine, and operators can expire one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from checkout.extensions import db
from checkout.models import Checkout, Order, OrderEvent, utcnow
from tests.support.api import AUTH, CHECKOUTS, new_checkout, pay_at_checkout, request_id_from
from tests.support.callbacks import callback_for
from tests.support.checkout import all_orders, checkout_data, count


def overdue(app: Flask, checkout: dict, by: timedelta = timedelta(seconds=1)) -> None:
    """Move a checkout's expiry into the past, as time passing would."""
    with app.app_context():
        db.session.execute(
            update(Checkout)
            .where(Checkout.public_id == checkout["id"])
            .values(expires_at=utcnow() - by)
        )
        db.session.commit()


def api_state(client: FlaskClient, checkout: dict) -> dict:
    return client.get(f"{CHECKOUTS}/{checkout['id']}", headers=AUTH).get_json()


def expiry_events(app: Flask) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        events = db.session.scalars(select(OrderEvent).where(OrderEvent.kind == "checkout_expired"))
        return [(event.kind, event.from_status, event.to_status) for event in events]


def test_past_its_time_a_checkout_is_expired_in_the_api_and_on_its_page(
    app: Flask, client: FlaskClient
) -> None:
    checkout = new_checkout(client)
    request_id = request_id_from(pay_at_checkout(client, checkout))
    overdue(app, checkout)

    assert api_state(client, checkout)["status"] == "expired"
    order = client.get(f"/api/v1/orders/{request_id}", headers=AUTH).get_json()
    assert order["status"] == "expired"
    assert expiry_events(app) == [("checkout_expired", "pending", "expired")]
    page = client.get(checkout["url"].replace("http://localhost", ""))
    assert page.status_code == 410
    assert "Payment link expired" in page.get_data(as_text=True)


def test_reading_the_order_alone_expires_it_too(app: Flask, client: FlaskClient) -> None:
    checkout = new_checkout(client)
    request_id = request_id_from(pay_at_checkout(client, checkout))
    overdue(app, checkout)

    order = client.get(f"/api/v1/orders/{request_id}", headers=AUTH).get_json()

    assert order["status"] == "expired"


def test_the_expired_page_speaks_the_customers_language(app: Flask, client: FlaskClient) -> None:
    checkout = new_checkout(client, return_url="https://shop.example/")
    overdue(app, checkout)

    page = client.get(f"/c/{checkout['id']}", headers={"Accept-Language": "ru-RU,ru;q=0.9"})

    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert '<html lang="ru">' in text
    assert "Срок действия ссылки на оплату истёк" in text
    assert "Вернуться в магазин" in text


def test_an_expired_checkout_starts_no_payment(app: Flask, client: FlaskClient) -> None:
    checkout = new_checkout(client)
    page = client.get(f"/c/{checkout['id']}").get_data(as_text=True)
    overdue(app, checkout)

    response = client.post(f"/c/{checkout['id']}", data=checkout_data(page))

    assert response.status_code == 410
    assert count(app, Order) == 0


def test_flask_checkouts_expire_expires_one_at_once(
    app: Flask, client: FlaskClient, runner
) -> None:
    checkout = new_checkout(client)
    other = new_checkout(client)
    request_id_from(pay_at_checkout(client, checkout))

    result = runner.invoke(args=["checkouts", "expire", checkout["id"]])

    assert result.exit_code == 0, result.output
    assert f"Checkout {checkout['id']} expired." in result.output
    assert api_state(client, checkout)["status"] == "expired"
    assert [order.status for order in all_orders(app)] == ["expired"]
    assert client.get(f"/c/{checkout['id']}").status_code == 410
    assert api_state(client, other)["status"] == "open"
    again = runner.invoke(args=["checkouts", "expire", checkout["id"]])
    assert "is already expired" in again.output


def test_flask_checkouts_expire_names_an_unknown_checkout(runner) -> None:
    result = runner.invoke(args=["checkouts", "expire", "nope"])
    assert result.exit_code == 1
    assert "No checkout with id 'nope'" in result.output


def test_housekeeping_expires_every_checkout_whose_time_is_up(
    app: Flask, client: FlaskClient, runner
) -> None:
    due = [new_checkout(client) for _ in range(2)]
    request_id_from(pay_at_checkout(client, due[0]))
    fresh = new_checkout(client)
    for checkout in due:
        overdue(app, checkout)

    result = runner.invoke(args=["checkouts", "housekeeping"])

    assert result.exit_code == 0
    assert "Expired 2 checkout(s)" in result.output
    with app.app_context():
        statuses = dict(db.session.execute(select(Checkout.public_id, Checkout.status)).all())
    assert statuses == {due[0]["id"]: "expired", due[1]["id"]: "expired", fresh["id"]: "open"}
    assert [order.status for order in all_orders(app)] == ["expired"]


def test_housekeeping_finishes_an_expiry_that_was_interrupted(
    app: Flask, client: FlaskClient, runner
) -> None:
    checkout = new_checkout(client)
    request_id_from(pay_at_checkout(client, checkout))
    # As if a process stopped after closing the checkout, before expiring its order.
    with app.app_context():
        db.session.execute(update(Checkout).values(status="expired"))
        db.session.commit()

    runner.invoke(args=["checkouts", "housekeeping"])

    assert [order.status for order in all_orders(app)] == ["expired"]


@pytest.mark.parametrize("status", ["success", "declined"])
def test_news_from_the_gateway_after_expiry_goes_through_the_state_machine(
    app: Flask, client: FlaskClient, runner, status: str
) -> None:
    checkout = new_checkout(client)
    request_id = request_id_from(pay_at_checkout(client, checkout))
    runner.invoke(args=["checkouts", "expire", checkout["id"]])
    with app.app_context():
        order = db.session.scalar(select(Order).filter_by(request_id=request_id))
        body = callback_for(app, order, status=status)

    assert client.post("/callback", json=body).status_code == 200

    # Money received wins, as for any expired order; a late failure changes nothing.
    expected = "paid" if status == "success" else "expired"
    assert all_orders(app)[0].status == expected
    assert api_state(client, checkout)["status"] == expected

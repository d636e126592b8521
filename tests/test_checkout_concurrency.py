"""A checkout is paid at most once, even when requests race: the database decides, on SQLite
and on PostgreSQL, over real HTTP from many threads at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
from flask import Flask

from checkout.extensions import db
from checkout.models import Checkout, Order
from tests.support.api import AUTH, CHECKOUTS
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.checkout import all_orders, checkout_data
from tests.support.fake_gateway import FakeGateway, Reply, fake_gateway
from tests.support.live import serve

TABS = 12
TIMEOUT = 60


@dataclass
class Shop:
    app: Flask
    url: str
    gateway: FakeGateway

    def new_checkout(self) -> dict:
        body = {"site_login": "alice", "amount": 9000, "currency": "KZT"}
        answer = requests.post(self.url + CHECKOUTS, json=body, headers=AUTH, timeout=TIMEOUT)
        assert answer.status_code == 201, answer.text
        return answer.json()


@pytest.fixture
def shop(database_url: str) -> Iterator[Shop]:
    with fake_gateway(Reply(json={"key": "fake-key"})) as gateway:
        app = make_app(database_url, GATEWAY_BASE_URL=gateway.url)
        server, stop = serve(app)
        yield Shop(app, server.url, gateway)
        stop()
        close_app(app)


def all_at_once(calls: list) -> list:
    """Run each call in its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def open_tab(url: str) -> tuple[requests.Session, dict]:
    """Open the checkout's page in a new browser tab: its own cookies, its own form."""
    session = requests.Session()
    page = session.get(url, timeout=TIMEOUT)
    assert page.status_code == 200, page.text
    return session, checkout_data(page.text, method="card")


def test_tabs_racing_to_pay_one_checkout_start_one_payment(shop: Shop) -> None:
    checkout = shop.new_checkout()
    tabs = [open_tab(checkout["url"]) for _ in range(TABS)]

    answers = all_at_once(
        [
            lambda session=session, data=data: session.post(
                checkout["url"], data=data, allow_redirects=False, timeout=TIMEOUT
            )
            for session, data in tabs
        ]
    )

    assert [answer.status_code for answer in answers] == [303] * TABS
    assert len({answer.headers["Location"] for answer in answers}) == 1
    assert len(all_orders(shop.app)) == 1
    assert len(shop.gateway.token_calls) == 1


def test_racing_successes_for_two_orders_settle_the_checkout_once(shop: Shop) -> None:
    checkout = shop.new_checkout()
    orders = []
    for status in ("declined", None):
        session, data = open_tab(checkout["url"])
        answer = session.post(checkout["url"], data=data, allow_redirects=False, timeout=TIMEOUT)
        request_id = answer.headers["Location"].rsplit("/", 1)[1]
        with shop.app.app_context():
            order = db.session.scalar(db.select(Order).filter_by(request_id=request_id))
            if status:
                declined = callback_for(shop.app, order, status=status)
                assert requests.post(shop.url + "/callback", json=declined).status_code == 200
            orders.append(order)
    with shop.app.app_context():
        successes = [callback_for(shop.app, order) for order in orders]

    # The first order's late success and the second's, each delivered several times at once.
    answers = all_at_once(
        [
            lambda body=body: requests.post(shop.url + "/callback", json=body, timeout=TIMEOUT)
            for body in successes * 6
        ]
    )

    assert [answer.status_code for answer in answers] == [200] * len(answers)
    stored = all_orders(shop.app)
    assert [order.status for order in stored] == ["paid", "paid"]
    settled_by = [order.request_id for order in stored if order.review_reason is None]
    assert len(settled_by) == 1
    with shop.app.app_context():
        row = db.session.scalar(db.select(Checkout))
        assert (row.status, row.paid_request_id) == ("paid", settled_by[0])
    state = requests.get(f"{shop.url}{CHECKOUTS}/{checkout['id']}", headers=AUTH, timeout=10)
    assert state.json()["status"] == "paid"

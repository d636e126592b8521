"""`Idempotency-Key`: a retried create gets the first answer and creates nothing new; the
database decides between racing requests; keys are purged after 24 hours, not before."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from checkout.extensions import db
from checkout.models import Checkout, IdempotencyKey, utcnow
from tests.support.api import AUTH, CHECKOUTS, assert_problem, post_checkout_api
from tests.support.apps import close_app, make_app
from tests.support.checkout import count
from tests.support.live import serve

BODY = {"site_login": "alice", "amount": 9000, "currency": "KZT", "metadata": {"order": 7}}


def test_same_key_and_body_replay_the_first_answer(app: Flask, client: FlaskClient) -> None:
    first = post_checkout_api(client, BODY, **{"Idempotency-Key": "deposit-7"})
    again = post_checkout_api(client, BODY, **{"Idempotency-Key": "deposit-7"})

    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(app, Checkout) == 1


def test_the_same_body_in_another_spelling_is_the_same_body(
    app: Flask, client: FlaskClient
) -> None:
    headers = {**AUTH, "Idempotency-Key": "k1", "Content-Type": "application/json"}
    first = client.post(
        CHECKOUTS, data=b'{"site_login":"alice","metadata":{"a":1,"b":2}}', headers=headers
    )
    again = client.post(
        CHECKOUTS,
        data=b'{ "metadata": {"b": 2, "a": 1},\n "site_login": "alice" }',
        headers=headers,
    )
    assert again.get_data() == first.get_data()
    assert count(app, Checkout) == 1


def test_same_key_with_another_body_is_refused_and_creates_nothing(
    app: Flask, client: FlaskClient
) -> None:
    post_checkout_api(client, BODY, **{"Idempotency-Key": "deposit-7"})

    response = post_checkout_api(
        client, {**BODY, "amount": 9001}, **{"Idempotency-Key": "deposit-7"}
    )

    problem = assert_problem(response, 422)
    assert problem["errors"] == {"Idempotency-Key": ["Already used with a different body."]}
    assert count(app, Checkout) == 1


def test_a_replayed_answer_is_the_first_one_even_after_the_checkout_changed(
    app: Flask, client: FlaskClient
) -> None:
    first = post_checkout_api(client, BODY, **{"Idempotency-Key": "k"})
    with app.app_context():
        db.session.execute(update(Checkout).values(status="expired"))
        db.session.commit()
    again = post_checkout_api(client, BODY, **{"Idempotency-Key": "k"})
    assert again.get_json()["status"] == "open" == first.get_json()["status"]


def test_without_a_key_each_request_creates(app: Flask, client: FlaskClient) -> None:
    post_checkout_api(client, BODY)
    post_checkout_api(client, BODY)
    assert count(app, Checkout) == 2


def test_different_keys_create_different_checkouts(app: Flask, client: FlaskClient) -> None:
    post_checkout_api(client, BODY, **{"Idempotency-Key": "a"})
    post_checkout_api(client, BODY, **{"Idempotency-Key": "b"})
    assert count(app, Checkout) == 2


@pytest.mark.parametrize("key", ["", "a" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_a_400(app: Flask, client: FlaskClient, key: str) -> None:
    response = client.post(
        CHECKOUTS, json=BODY, headers={**AUTH, "Idempotency-Key": key.encode().decode("latin-1")}
    )
    assert_problem(response, 400)
    assert count(app, Checkout) == 0


def test_an_invalid_body_is_not_remembered(app: Flask, client: FlaskClient) -> None:
    refused = post_checkout_api(client, {"site_login": ""}, **{"Idempotency-Key": "k"})
    assert refused.status_code == 422
    assert post_checkout_api(client, BODY, **{"Idempotency-Key": "k"}).status_code == 201


# --- racing requests: the unique constraint decides ---------------------------------------

RACERS = 12


@pytest.fixture
def served(database_url: str):
    app = make_app(database_url)
    server, stop = serve(app)
    yield app, server.url
    stop()
    close_app(app)


def test_racing_requests_with_one_key_create_one_checkout(served) -> None:
    app, url = served
    barrier = threading.Barrier(RACERS)

    def post(_: int) -> requests.Response:
        with requests.Session() as session:
            barrier.wait(timeout=30)
            return session.post(
                url + CHECKOUTS,
                json=BODY,
                headers={**AUTH, "Idempotency-Key": "race-1"},
                timeout=60,
            )

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(pool.map(post, range(RACERS)))

    assert [answer.status_code for answer in answers] == [201] * RACERS
    assert len({answer.content for answer in answers}) == 1
    assert sum("Idempotent-Replayed" not in answer.headers for answer in answers) == 1
    assert count(app, Checkout) == 1
    assert count(app, IdempotencyKey) == 1


# --- keeping and purging keys ------------------------------------------------------------


def age_keys(app: Flask, age: timedelta) -> None:
    with app.app_context():
        db.session.execute(update(IdempotencyKey).values(created_at=utcnow() - age))
        db.session.commit()


def test_housekeeping_keeps_keys_for_24_hours(app: Flask, client: FlaskClient, runner) -> None:
    post_checkout_api(client, BODY, **{"Idempotency-Key": "k"})
    age_keys(app, timedelta(hours=23, minutes=59))

    result = runner.invoke(args=["checkouts", "housekeeping"])

    assert "purged 0 idempotency key(s)" in result.output
    assert post_checkout_api(client, BODY, **{"Idempotency-Key": "k"}).headers.get(
        "Idempotent-Replayed"
    )
    assert count(app, Checkout) == 1


def test_housekeeping_purges_keys_older_than_24_hours(
    app: Flask, client: FlaskClient, runner
) -> None:
    post_checkout_api(client, BODY, **{"Idempotency-Key": "k"})
    age_keys(app, timedelta(hours=24, minutes=1))

    result = runner.invoke(args=["checkouts", "housekeeping"])

    assert result.exit_code == 0
    assert "purged 1 idempotency key(s)" in result.output
    assert count(app, IdempotencyKey) == 0
    # The key is free again: it now makes a new checkout.
    assert (
        "Idempotent-Replayed"
        not in post_checkout_api(client, BODY, **{"Idempotency-Key": "k"}).headers
    )
    assert count(app, Checkout) == 2

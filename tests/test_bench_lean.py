"""The lean reference app of the benchmark answers each route as the contract says."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import create_engine, select

from bench import lean
from checkout import signing
from checkout.extensions import db
from checkout.models import CallbackRecord, Order

SECRET = "lean-test-gateway-secret"
API_KEY = "lean-test-api-key"


@pytest.fixture
def lean_app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The lean app on a fresh schema of the checkout's tables, with one pending order."""
    engine = create_engine(database_url)
    for metadata in (db.metadata, lean.lean_metadata):
        metadata.drop_all(engine)
        metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            Order.__table__.insert(),
            {
                "request_id": "order-1",
                "submission_token": secrets.token_hex(16),
                "amount": 9000,
                "currency": "KZT",
                "language": "EN",
                "site_login": "alice",
                "customer_type": "regular",
                "status": "pending",
            },
        )
    for name, value in {
        "DATABASE_URL": database_url,
        "GATEWAY_SECRET": SECRET,
        "MERCHANT_API_KEY": API_KEY,
        "BENCH_FORM_BYTES": "5000",
    }.items():
        monkeypatch.setenv(name, value)
    app = lean.create_app()
    app.extensions["test_engine"] = engine
    yield app
    app.extensions["lean_engine"].dispose()
    lean.lean_metadata.drop_all(engine)
    engine.dispose()


def callback() -> dict:
    fields = {"request_id": "order-1", "status": "success", "amount": 9000, "currency": "KZT"}
    return signing.signed(fields, SECRET)


def order_and_outcomes(app: Flask) -> tuple[str, list[str]]:
    with app.extensions["test_engine"].connect() as connection:
        status = connection.scalar(select(Order.status))
        outcomes = connection.scalars(
            select(CallbackRecord.outcome).order_by(CallbackRecord.id)
        ).all()
    return status, list(outcomes)


def test_form_sets_session_cookie_and_fresh_tokens_in_a_page_of_the_given_size(lean_app):
    client = lean_app.test_client()
    first, second = client.get("/"), lean_app.test_client().get("/")
    assert first.status_code == 200
    assert "session=" in first.headers["Set-Cookie"]
    assert abs(len(first.data) - 5000) < 200
    assert b"SLOT" not in first.data and first.data != second.data


def test_status_answers_json_for_a_known_order_and_404_otherwise(lean_app):
    client = lean_app.test_client()
    answer = client.get("/orders/order-1/status")
    assert answer.json == {
        "request_id": "order-1",
        "status": "pending",
        "amount": 9000,
        "currency": "KZT",
    }
    assert client.get("/orders/nobody/status").status_code == 404
    assert client.get("/orders/no%00body/status").status_code == 404


def test_callback_pays_once_and_stores_every_delivery_with_its_outcome(lean_app):
    client = lean_app.test_client()
    assert client.post("/callback", json=callback()).json == {"outcome": "accepted"}
    assert client.post("/callback", json=callback()).json == {"outcome": "duplicate"}
    assert order_and_outcomes(lean_app) == ("paid", ["accepted", "duplicate"])


@pytest.mark.parametrize(
    ("body", "answer", "outcome"),
    [
        ({**callback(), "signature": "0" * 64}, 403, "bad_signature"),
        ({**callback(), "amount": 9001}, 403, "bad_signature"),
        (signing.signed({**callback(), "request_id": "nobody"}, SECRET), 404, "unknown_order"),
        (signing.signed({**callback(), "amount": 1.5}, SECRET), 400, "malformed"),
        ("[" * 20000, 400, "malformed"),
        ("not json", 400, "malformed"),
    ],
)
def test_callback_refusals_are_stored_and_change_nothing(lean_app, body, answer, outcome):
    client = lean_app.test_client()
    if isinstance(body, dict):
        response = client.post("/callback", json=body)
    else:
        response = client.post("/callback", data=body, content_type="application/json")
    assert response.status_code == answer
    assert order_and_outcomes(lean_app) == ("pending", [outcome])


def test_callback_with_another_amount_flags_and_never_pays(lean_app):
    response = lean_app.test_client().post(
        "/callback", json=signing.signed({**callback(), "amount": 1}, SECRET)
    )
    assert response.json == {"outcome": "amount_mismatch"}
    assert order_and_outcomes(lean_app) == ("pending", ["amount_mismatch"])


def test_checkouts_api_needs_the_bearer_key_and_a_valid_body(lean_app):
    client = lean_app.test_client()
    auth = {"Authorization": f"Bearer {API_KEY}"}
    created = client.post("/api/v1/checkouts", json={"site_login": "alice"}, headers=auth)
    assert created.status_code == 201 and created.json["status"] == "open"
    refused = client.post("/api/v1/checkouts", json={"site_login": "alice"})
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    invalid = client.post("/api/v1/checkouts", json={"site_login": "a&b", "x": 1}, headers=auth)
    assert invalid.status_code == 422
    assert set(invalid.json["errors"]) == {"site_login", "x"}
    json_type = {**auth, "Content-Type": "application/json"}
    for body in ("[", "[" * 20000, '{"site_login": "a\\u0000"}'):
        answer = client.post("/api/v1/checkouts", data=body, headers=json_type)
        assert answer.status_code in (400, 422)
    assert client.post("/api/v1/checkouts", data="{}", headers=auth).status_code == 415

"""The Checkouts API (docs/api.md): authentication, creating and reading checkouts and orders,
and every refusal as an RFC 9457 problem naming the field."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.models import Checkout
from tests.support.api import (
    AUTH,
    CHECKOUTS,
    assert_problem,
    checkout_path,
    new_checkout,
    post_checkout_api,
)
from tests.support.checkout import checkout_data, count, post_checkout

UNSIGNABLE_LOGIN = "Your login must not contain &, = or unprintable characters."
NOT_A_URL = "Must be an absolute http or https URL."
EXPIRES_RANGE = "Must be from 300 to 86400 seconds."
WHOLE_MINOR_UNITS = "Must be a whole number of minor units, e.g. 9000 for 90.00."


def parse_time(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1])


# --- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer wrong-key", "Basic ZGV2LW1lcmNoYW50LWFwaS1rZXk="],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("post", CHECKOUTS), ("get", CHECKOUTS + "/x"), ("get", "/api/v1/orders/x")],
)
def test_every_route_wants_the_bearer_key(
    app: Flask, client: FlaskClient, authorization: str | None, method: str, path: str
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = getattr(client, method)(path, json={"site_login": "alice"}, headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(app, Checkout) == 0


def test_the_scheme_name_is_case_insensitive(client: FlaskClient) -> None:
    token = AUTH["Authorization"].split(" ", 1)[1]
    response = post_checkout_api(client, {"site_login": "alice"}, Authorization=f"bearer {token}")
    assert response.status_code == 201


def test_csrf_protection_does_not_stand_in_the_apis_way(sqlite_url: str) -> None:
    from tests.support.apps import close_app, make_app

    app = make_app(sqlite_url, WTF_CSRF_ENABLED=True)
    try:
        assert post_checkout_api(app.test_client(), {"site_login": "alice"}).status_code == 201
    finally:
        close_app(app)


# --- creating and reading ------------------------------------------------------------------


def test_created_checkout_is_answered_201_with_the_checkout_object(
    app: Flask, client: FlaskClient
) -> None:
    body = {
        "site_login": "alice",
        "amount": 9000,
        "currency": "KZT",
        "method": "cis_transfer",
        "bank_app": "tbank",
        "language": "RU",
        "customer_type": "trust",
        "return_url": "https://shop.example/account?tab=deposits",
        "metadata": {"user_id": 42, "note": "Депозит", "tags": ["a", None]},
        "expires_in": 900,
    }
    response = post_checkout_api(client, body)

    assert response.status_code == 201
    checkout = response.get_json()
    assert response.headers["Location"] == f"{CHECKOUTS}/{checkout['id']}"
    assert {name: checkout[name] for name in body if name != "expires_in"} == {
        name: value for name, value in body.items() if name != "expires_in"
    }
    assert checkout["status"] == "open"
    assert checkout["orders"] == []
    assert checkout["url"] == f"http://localhost/c/{checkout['id']}"
    assert len(checkout["id"]) >= 26  # 128 random bits
    lifetime = parse_time(checkout["expires_at"]) - parse_time(checkout["created_at"])
    assert lifetime.total_seconds() == 900
    assert response.headers["Cache-Control"] == "no-store"
    assert count(app, Checkout) == 1


def test_url_is_built_on_public_base_url(sqlite_url: str) -> None:
    from tests.support.apps import close_app, make_app

    app = make_app(sqlite_url, PUBLIC_BASE_URL="https://pay.shop.example")
    try:
        checkout = new_checkout(app.test_client())
    finally:
        close_app(app)
    assert checkout["url"] == f"https://pay.shop.example/c/{checkout['id']}"


def test_defaults_leave_the_rest_to_the_customer(client: FlaskClient) -> None:
    checkout = new_checkout(client, amount=None, currency=None)

    assert checkout["amount"] is None and checkout["currency"] is None
    assert checkout["method"] is None and checkout["metadata"] is None
    assert checkout["customer_type"] == "regular"
    lifetime = parse_time(checkout["expires_at"]) - parse_time(checkout["created_at"])
    assert lifetime.total_seconds() == 3600


@pytest.mark.parametrize("app_overrides", [{"CUSTOMER_TYPE": "trust"}])
def test_customer_type_defaults_to_the_shops_setting(client: FlaskClient) -> None:
    assert new_checkout(client)["customer_type"] == "trust"


def test_get_checkout_lists_its_orders(client: FlaskClient) -> None:
    checkout = new_checkout(client)
    page = client.get(checkout_path(checkout)).get_data(as_text=True)
    started = client.post(checkout_path(checkout), data=checkout_data(page, method="card"))
    assert started.status_code == 303
    request_id = started.headers["Location"].rsplit("/", 1)[1]

    response = client.get(f"{CHECKOUTS}/{checkout['id']}", headers=AUTH)

    assert response.status_code == 200
    assert response.get_json()["orders"] == [{"request_id": request_id, "status": "pending"}]
    assert {**response.get_json(), "orders": []} == checkout


def test_order_object_of_a_checkouts_order(client: FlaskClient) -> None:
    checkout = new_checkout(client, metadata={"user_id": 42})
    page = client.get(checkout_path(checkout)).get_data(as_text=True)
    started = client.post(checkout_path(checkout), data=checkout_data(page, method="card"))
    request_id = started.headers["Location"].rsplit("/", 1)[1]

    response = client.get(f"/api/v1/orders/{request_id}", headers=AUTH)

    assert response.status_code == 200
    order = response.get_json()
    created_at = order.pop("created_at")
    assert parse_time(created_at)
    assert order == {
        "request_id": request_id,
        "checkout_id": checkout["id"],
        "status": "pending",
        "amount": 9000,
        "currency": "KZT",
        "site_login": "alice",
        "method": "card",
        "metadata": {"user_id": 42},
        "paid_at": None,
    }


def test_order_object_of_the_open_form_has_no_checkout(client: FlaskClient) -> None:
    started = post_checkout(client, site_login="bob", method="")
    request_id = started.headers["Location"].rsplit("/", 1)[1]

    order = client.get(f"/api/v1/orders/{request_id}", headers=AUTH).get_json()

    assert order["checkout_id"] is None and order["metadata"] is None
    assert order["site_login"] == "bob" and order["method"] is None


@pytest.mark.parametrize(
    "path", [CHECKOUTS + "/nope", CHECKOUTS + "/" + "a" * 300, "/api/v1/orders/nope"]
)
def test_unknown_ids_are_a_404_problem(client: FlaskClient, path: str) -> None:
    assert_problem(client.get(path, headers=AUTH), 404)


def test_unknown_api_routes_and_methods_are_problems_too(client: FlaskClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here", headers=AUTH), 404)
    response = client.delete(CHECKOUTS, headers=AUTH)
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


# --- refusals ----------------------------------------------------------------------------

VALID = {"site_login": "alice", "amount": 9000, "currency": "KZT"}

BAD_FIELDS = [
    ({"site_login": None}, "site_login", "Enter your login."),
    ({"site_login": "   "}, "site_login", "Enter your login."),
    ({"site_login": 42}, "site_login", "Must be a string."),
    ({"site_login": "a" * 65}, "site_login", "Your login must be at most 64 characters."),
    ({"site_login": "alice&amount=1"}, "site_login", UNSIGNABLE_LOGIN),
    ({"site_login": "a=b"}, "site_login", UNSIGNABLE_LOGIN),
    ({"site_login": "ali\x00ce"}, "site_login", UNSIGNABLE_LOGIN),
    ({"site_login": "ali\u2028ce"}, "site_login", UNSIGNABLE_LOGIN),
    ({"site_login": "x&status=success"}, "site_login", UNSIGNABLE_LOGIN),
    ({"amount": 90.5}, "amount", WHOLE_MINOR_UNITS),
    ({"amount": 9000.0}, "amount", WHOLE_MINOR_UNITS),
    ({"amount": "9000"}, "amount", WHOLE_MINOR_UNITS),
    ({"amount": True}, "amount", WHOLE_MINOR_UNITS),
    ({"amount": 0}, "amount", "The amount must be greater than zero."),
    ({"amount": -100}, "amount", "The amount must be greater than zero."),
    ({"amount": 100_000_001}, "amount", "The amount must not exceed KZT\u00a01,000,000.00."),
    ({"amount": 10**40}, "amount", "The amount must not exceed KZT\u00a01,000,000.00."),
    ({"currency": None}, "currency", "Required with amount."),
    ({"currency": "XXX"}, "currency", "Choose one of the currencies in the list."),
    ({"currency": "kzt"}, "currency", "Choose one of the currencies in the list."),
    ({"currency": 398}, "currency", "Must be a string."),
    ({"method": "paypal"}, "method", "Choose one of the payment methods in the list."),
    ({"method": ["card"]}, "method", "Must be a string."),
    (
        {"bank_app": "tbank"},
        "bank_app",
        "Only with the method cis_transfer or cis_transfer_card.",
    ),
    (
        {"method": "card", "bank_app": "tbank"},
        "bank_app",
        "Only with the method cis_transfer or cis_transfer_card.",
    ),
    ({"method": "cis_transfer", "bank_app": "alfa"}, "bank_app", "Choose Sberbank or T-Bank."),
    ({"language": "FR"}, "language", "Choose one of the languages in the list."),
    ({"language": "en"}, "language", "Choose one of the languages in the list."),
    ({"customer_type": "vip"}, "customer_type", "Must be trust or regular."),
    ({"customer_type": True}, "customer_type", "Must be trust or regular."),
    ({"customer_type": ["trust"]}, "customer_type", "Must be trust or regular."),
    ({"customer_type": {"trust": 1}}, "customer_type", "Must be trust or regular."),
    ({"return_url": "javascript:alert(1)"}, "return_url", NOT_A_URL),
    ({"return_url": "/account"}, "return_url", NOT_A_URL),
    ({"return_url": "https://"}, "return_url", NOT_A_URL),
    ({"return_url": "https://shop.example/\nSet-Cookie: x"}, "return_url", NOT_A_URL),
    ({"return_url": "https://[::1"}, "return_url", NOT_A_URL),
    (
        {"return_url": "https://shop.example/" + "a" * 2048},
        "return_url",
        "Must be an absolute http or https URL of at most 2048 characters.",
    ),
    ({"metadata": ["a"]}, "metadata", "Must be a JSON object."),
    ({"metadata": "user=42"}, "metadata", "Must be a JSON object."),
    ({"metadata": {"blob": "x" * 4096}}, "metadata", "Must be at most 4096 bytes as JSON."),
    ({"expires_in": 299}, "expires_in", EXPIRES_RANGE),
    ({"expires_in": 86_401}, "expires_in", EXPIRES_RANGE),
    ({"expires_in": "3600"}, "expires_in", "Must be a whole number of seconds."),
    ({"expires_in": 3600.0}, "expires_in", "Must be a whole number of seconds."),
    ({"paid": True}, "paid", "Unknown field."),
    ({"customerType": "trust"}, "customerType", "Unknown field."),
]


@pytest.mark.parametrize(("fields", "field", "message"), BAD_FIELDS)
def test_bad_field_is_a_422_naming_it(
    app: Flask, client: FlaskClient, fields: dict, field: str, message: str
) -> None:
    response = post_checkout_api(client, {**VALID, **fields})

    problem = assert_problem(response, 422)
    assert problem["errors"] == {field: [message]}
    assert count(app, Checkout) == 0


def test_every_bad_field_is_named_at_once(client: FlaskClient) -> None:
    body = {"site_login": "", "amount": 1.5, "currency": "KZT", "expires_in": 5, "x": 1}
    problem = assert_problem(post_checkout_api(client, body), 422)
    assert set(problem["errors"]) == {"site_login", "amount", "expires_in", "x"}


@pytest.mark.parametrize(
    "fields",
    [
        {"expires_in": 300},
        {"expires_in": 86_400},
        {"metadata": {"blob": "x" * 4083}},  # {"blob":"…"} is exactly 4096 bytes
        {"metadata": {}},
        {"method": "cis_transfer"},  # the customer picks the bank app
        {"method": "cis_transfer_card", "bank_app": "sberbank"},
        {"amount": 100_000_000},  # the limit itself: 1,000,000.00 KZT
        {"amount": None, "currency": "USD"},  # the currency fixed, the amount open
    ],
)
def test_values_at_the_limits_are_accepted(client: FlaskClient, fields: dict) -> None:
    new_checkout(client, **fields)


@pytest.mark.parametrize(
    "app_overrides",
    [{"CHECKOUT_CURRENCIES": ["KZT", "JPY"], "CHECKOUT_MAX_AMOUNTS": ["JPY=50000"]}],
)
def test_limits_follow_each_currencys_exponent(client: FlaskClient) -> None:
    # 50,000 yen has no minor units: the limit is 50000; in tenge it is 1,000,000.00.
    new_checkout(client, amount=50_000, currency="JPY")
    problem = assert_problem(
        post_checkout_api(client, {**VALID, "amount": 50_001, "currency": "JPY"}), 422
    )
    assert problem["errors"]["amount"][0].startswith("The amount must not exceed")
    new_checkout(client, amount=50_001, currency="KZT")


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b'{"site_login": "alice"}', "text/plain", 415),
        (b"site_login=alice", "application/x-www-form-urlencoded", 415),
        (b'{"site_login": "alice"}', None, 415),
        (b"", "application/json", 400),
        (b"{", "application/json", 400),
        (b'["site_login"]', "application/json", 400),
        (b"null", "application/json", 400),
        (b'{"site_login": "alice", "amount": NaN}', "application/json", 400),
        (b'{"site_login": "alice", "amount": Infinity}', "application/json", 400),
        (b'{"site_login": "\\ud800"}', "application/json", 400),
        (b'{"site_login": "\xff"}', "application/json", 400),
        (b"[" * 50_000, "application/json", 400),
        (b'{"amount": 1' + b"0" * 5000 + b"}", "application/json", 400),
        (b'{"site_login": "' + b"a" * 70_000 + b'"}', "application/json", 413),
    ],
    ids=lambda value: repr(value)[:40] if isinstance(value, bytes) else None,
)
def test_a_body_that_is_not_a_json_object_is_refused(
    app: Flask, client: FlaskClient, data: bytes, content_type: str | None, status: int
) -> None:
    headers = dict(AUTH)
    if content_type:
        headers["Content-Type"] = content_type
    assert_problem(client.post(CHECKOUTS, data=data, headers=headers), status)
    assert count(app, Checkout) == 0


def test_json_with_a_charset_or_a_json_suffix_type_is_read(client: FlaskClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = client.post(
            CHECKOUTS,
            data=b'{"site_login": "alice"}',
            headers={**AUTH, "Content-Type": content_type},
        )
        assert response.status_code == 201, content_type


@pytest.mark.parametrize(
    "path",
    [
        CHECKOUTS + "/%00",
        CHECKOUTS + "/a%00b",
        "/api/v1/orders/%00",
        "/api/v1/orders/a%20b",
    ],
)
def test_ids_no_database_could_hold_are_a_404_on_both_engines(database_url: str, path: str) -> None:
    from tests.support.apps import close_app, make_app

    app = make_app(database_url)
    try:
        client = app.test_client()
        assert_problem(client.get(path, headers=AUTH), 404)
        assert client.get("/c/" + path.rsplit("/", 1)[1]).status_code == 404
    finally:
        close_app(app)


def test_creating_a_checkout_is_one_insert_and_its_answer_is_what_was_stored(
    database_url: str,
) -> None:
    """The answer is built from the values inserted: no flush, no read back, one commit."""
    from sqlalchemy import event

    from checkout.extensions import db
    from tests.support.apps import close_app, make_app

    app = make_app(database_url)
    try:
        client = app.test_client()
        new_checkout(client)  # warm up: an app's first request does one-off work
        with app.app_context():
            engine = db.engine
        statements: list[str] = []
        commits: list[bool] = []

        def statement(_conn, _cursor, sql: str, *_args) -> None:
            statements.append(sql.split(None, 1)[0].upper())

        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "commit", lambda _conn: commits.append(True))
        try:
            created = new_checkout(client, metadata={"user_id": 42, "note": "Депозит"})
        finally:
            event.remove(engine, "before_cursor_execute", statement)
        stored = client.get(f"{CHECKOUTS}/{created['id']}", headers=AUTH).get_json()
    finally:
        close_app(app)
    assert statements == ["INSERT"] and len(commits) == 1
    assert created == stored

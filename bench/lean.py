"""The lean reference: each benchmarked endpoint doing what the contract requires, no more.

Served by the same gunicorn settings as the checkout (`bench/run.py`), it is the yardstick of
issue #17: the distance from an endpoint to its lean twin is the waste we own. It uses the
checkout's own tables, signature rules and JSON bounds, and SQLAlchemy Core on one pooled
engine (prebuilt statements, no ORM, no hooks) on SQLite or PostgreSQL (`DATABASE_URL`).

- `GET /`: a session cookie, a Flask-WTF CSRF token and a one-time token set into a prebuilt
  page of `BENCH_FORM_BYTES` bytes (the checkout form's size, measured by `bench/run.py`).
- `GET /orders/<request_id>/status`: one indexed SELECT, JSON out.
- `POST /callback`: read the raw body, parse it, verify the HMAC, then in one transaction
  store the record, compare-and-set the order and write the record's outcome; one commit.
- `POST /api/v1/checkouts`: bearer auth, a small JSON body validated, one INSERT, JSON out.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from flask import Flask, jsonify, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    insert,
    select,
    update,
)
from werkzeug.wsgi import get_input_stream

from checkout import safe_json, safe_text, signing
from checkout.models import CallbackRecord, Order, new_request_id
from config import DEFAULT_STATUS_MAP

CALLBACK_MAX_BYTES = 64 * 1024
NOTABLE_HEADERS = ("Content-Type", "Content-Length", "User-Agent", "X-Forwarded-For")
REQUIRED_FIELDS = ("request_id", "status", "amount", "currency")
FINAL = {"paid", "failed", "expired"}

# The lean checkouts API has no product table to write to yet: a row of the same width.
lean_metadata = MetaData()
lean_checkouts = Table(
    "lean_checkouts",
    lean_metadata,
    Column("id", String(32), primary_key=True),
    Column("site_login", String(64), nullable=False),
    Column("amount", BigInteger),
    Column("currency", String(3)),
    Column("customer_type", String(16), nullable=False),
    Column("metadata", JSON),
    Column("status", String(16), nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

orders, records = Order.__table__, CallbackRecord.__table__
STATUS = select(orders.c.status, orders.c.amount, orders.c.currency).where(
    orders.c.request_id == bindparam("request_id")
)
ORDER_FOR_CALLBACK = select(orders.c.id, orders.c.status, orders.c.amount, orders.c.currency).where(
    orders.c.request_id == bindparam("request_id")
)
INSERT_RECORD = insert(records).returning(records.c.id)
SET_OUTCOME = update(records).where(records.c.id == bindparam("match_id"))
COMPARE_AND_SET = update(orders).where(
    orders.c.id == bindparam("match_id"), orders.c.status == bindparam("match_status")
)
FLAG = update(orders).where(orders.c.id == bindparam("match_id"))
INSERT_CHECKOUT = insert(lean_checkouts)
SLOTS = ("CSRF-SLOT", "TOKEN-SLOT")
# What a request_id can be (checkout.routing): anything else is unknown without a query.
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """The checkout's SQLite settings (app.py): WAL, writers wait, every commit on disk."""
    if type(dbapi_connection).__module__ == "sqlite3":
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "synchronous=FULL"):
            dbapi_connection.execute(f"PRAGMA {pragma}")


def prebuilt_page(size: int) -> str:
    """Return a page of `size` bytes holding the two token slots, as the cached form does."""
    head = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout</title>'
        '</head><body><form method="post"><input name="csrf_token" type="hidden" value="'
        f'{SLOTS[0]}"><input name="submission_token" type="hidden" value="{SLOTS[1]}">'
    )
    tail = "</form></body></html>"
    # The slots are replaced by tokens of about the same length as the checkout's.
    return head + "<!--" + "x" * max(size - len(head) - len(tail) - 7, 0) + "-->" + tail


def create_app() -> Flask:
    """Create the lean app on `DATABASE_URL` (default: a SQLite file in the working folder)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", "lean-secret-key"),
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    secret = os.environ.get("GATEWAY_SECRET", "bench-gateway-secret")
    api_key = os.environ.get("MERCHANT_API_KEY", "bench-merchant-api-key").encode()
    page = prebuilt_page(int(os.environ.get("BENCH_FORM_BYTES", "13000")))
    engine = create_engine(os.environ.get("DATABASE_URL", "sqlite:///lean.sqlite3"))
    event.listen(engine, "connect", tune_sqlite)
    app.extensions["lean_engine"] = engine  # for whoever must dispose of it (tests)

    @app.get("/")
    def form() -> str:
        if "checkout_nonce" not in session:
            session["checkout_nonce"] = secrets.token_urlsafe(16)
        return page.replace(SLOTS[0], generate_csrf()).replace(SLOTS[1], secrets.token_urlsafe(16))

    @app.get("/orders/<request_id>/status")
    def status(request_id: str):
        if not REQUEST_ID.fullmatch(request_id):
            return jsonify(error="unknown order"), 404
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            row = connection.execute(STATUS, {"request_id": request_id}).first()
        if row is None:
            return jsonify(error="unknown order"), 404
        return jsonify(
            request_id=request_id, status=row.status, amount=row.amount, currency=row.currency
        )

    @app.post("/callback")
    def callback():
        body = get_input_stream(request.environ, max_content_length=None).read(
            CALLBACK_MAX_BYTES + 1
        )
        record = {
            "received_at": utcnow(),
            "source_ip": (request.remote_addr or "")[:64],
            "content_type": safe_text.storable(request.content_type or "")[:255] or None,
            "headers": {
                name: safe_text.storable(request.headers[name])[:500]
                for name in NOTABLE_HEADERS
                if name in request.headers
            },
            "body": safe_text.decode_body(body[:CALLBACK_MAX_BYTES]),
            "body_truncated": len(body) > CALLBACK_MAX_BYTES,
            "outcome": "received",
        }
        with engine.begin() as connection:
            record_id = connection.execute(INSERT_RECORD, record).scalar_one()
            outcome, answer = settle(connection, record, secret)
            connection.execute(SET_OUTCOME, {"match_id": record_id, **outcome})
        return jsonify(outcome=outcome["outcome"]), answer

    @app.post("/api/v1/checkouts")
    def create_checkout():
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, b"Bearer " + api_key):
            return problem(401, "unauthorized"), 401, {"WWW-Authenticate": "Bearer"}
        if not request.is_json:
            return problem(415, "send application/json"), 415
        try:
            body = safe_json.loads(request.get_data())
        except safe_json.JSONInputError as error:
            return problem(400, str(error)), 400
        if not isinstance(body, dict):
            return problem(400, "body must be a JSON object"), 400
        errors = checkout_errors(body)
        if errors:
            return problem(422, "invalid checkout", errors=errors), 422
        now = utcnow()
        row = {
            "id": new_request_id(),
            "site_login": body["site_login"],
            "amount": body.get("amount"),
            "currency": body.get("currency"),
            "customer_type": body.get("customer_type", "regular"),
            "metadata": body.get("metadata"),
            "status": "open",
            "expires_at": now + timedelta(seconds=body.get("expires_in", 3600)),
            "created_at": now,
        }
        with engine.begin() as connection:
            connection.execute(INSERT_CHECKOUT, row)
        return jsonify(row), 201

    return app


def settle(connection: Any, record: dict, secret: str) -> tuple[dict, int]:
    """Parse, verify and apply a stored callback; return the record's findings and status."""
    if record["body_truncated"]:
        return {"outcome": "too_large"}, 413
    try:
        fields = fields_of(record["body"], record["content_type"] or "")
    except ValueError:
        return {"outcome": "malformed"}, 400
    amount = minor_units(fields.get("amount"))
    texts = [fields.get(name) for name in ("request_id", "status", "currency")]
    if amount is None or not all(isinstance(t, str) and t and t.isprintable() for t in texts):
        return {"outcome": "malformed"}, 400
    request_id, word, currency = texts
    findings = {"request_id": request_id[:64], "gateway_status": word[:64]}
    try:
        signing.verify(fields, secret)
    except signing.SignatureError:
        return {**findings, "outcome": "bad_signature"}, 403
    for _attempt in range(5):
        order = connection.execute(ORDER_FOR_CALLBACK, {"request_id": request_id}).first()
        if order is None:
            return {**findings, "outcome": "unknown_order"}, 404
        findings["order_id"] = order.id
        reported = DEFAULT_STATUS_MAP.get(word.lower())
        if reported is None:
            return {**findings, "outcome": "unknown_status"}, 200
        if (amount, currency) != (order.amount, order.currency):
            connection.execute(FLAG, {"match_id": order.id, "review_reason": "amount differs"})
            return {**findings, "outcome": "amount_mismatch"}, 200
        target, outcome = decide(order.status, reported)
        if outcome == "ignored_after_paid":
            connection.execute(FLAG, {"match_id": order.id, "review_reason": "fail after paid"})
        if target is None:
            return {**findings, "outcome": outcome}, 200
        values = {"status": target, "updated_at": utcnow()}
        if target == "paid":
            values["paid_at"] = values["updated_at"]
        moved = {"match_id": order.id, "match_status": order.status, **values}
        if connection.execute(COMPARE_AND_SET, moved).rowcount == 1:
            return {**findings, "outcome": outcome}, 200
        # Another delivery moved the order between our read and our write: look again.
    raise RuntimeError(f"order {request_id} kept changing")


def decide(current: str, reported: str) -> tuple[str | None, str]:
    """Return the state a callback moves an order to (or None) and the outcome to record."""
    if reported == current:
        return None, "duplicate"
    if reported == "paid":
        return "paid", "accepted"  # money received wins over an earlier fail or expiry
    if current == "paid" and reported in FINAL:
        return None, "ignored_after_paid"
    if current in FINAL or reported == "created":
        return None, "ignored_final"
    return reported, "accepted"


def minor_units(value: Any) -> int | None:
    """Return an amount of minor units (a JSON integer or digits), or None."""
    if type(value) is int:
        amount = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        amount = int(value)
    else:
        return None
    return amount if 0 <= amount < 2**63 else None


def fields_of(body: str, content_type: str) -> dict[str, Any]:
    """Return a callback's fields from a JSON or form-encoded body.

    :raise ValueError: when the body is neither.
    """
    if "json" in content_type or body.lstrip().startswith("{"):
        fields = safe_json.loads(body)
        if not isinstance(fields, dict):
            raise ValueError("not an object")
        return fields
    pairs = parse_qs(body, keep_blank_values=True, strict_parsing=True)
    if any(len(values) > 1 for values in pairs.values()):
        raise ValueError("repeated field")
    return {name: values[0] for name, values in pairs.items()}


def checkout_errors(body: dict[str, Any]) -> dict[str, list[str]]:
    """Return field → messages for a checkout body: types and ranges, unknown fields."""
    errors: dict[str, list[str]] = {}
    known = {"site_login", "amount", "currency", "customer_type", "metadata", "expires_in"}
    for name in body.keys() - known:
        errors[name] = ["unknown field"]
    login = body.get("site_login")
    if (
        not isinstance(login, str)
        or not 0 < len(login) <= 64
        or not signing.is_signable_text(login)
    ):
        errors["site_login"] = ["required text without &, = or control characters"]
    amount = body.get("amount")
    if amount is not None and (type(amount) is not int or not 0 < amount < 2**63):
        errors["amount"] = ["a positive integer of minor units"]
    currency = body.get("currency")
    if amount is not None and not (
        isinstance(currency, str)
        and len(currency) == 3
        and currency.isascii()
        and currency.isalpha()
    ):
        errors["currency"] = ["an ISO 4217 code, required with amount"]
    if body.get("customer_type", "regular") not in ("trust", "regular"):
        errors["customer_type"] = ["trust or regular"]
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict) or len(json.dumps(metadata)) > 4096:
        errors["metadata"] = ["a JSON object of at most 4 KB"]
    expires = body.get("expires_in", 3600)
    if type(expires) is not int or not 300 <= expires <= 86400:
        errors["expires_in"] = ["seconds, 300 to 86400"]
    return errors


def problem(status: int, title: str, **extra: Any):
    """Return an RFC 9457 problem answer."""
    response = jsonify(status=status, title=title, **extra)
    response.content_type = "application/problem+json"
    return response

"""NUL, control characters and bytes that are not UTF-8, on SQLite and PostgreSQL.

PostgreSQL's text cannot hold NUL: such input is stored as escaped evidence, refused
before any query, or never routed — a 4xx every time, never a 500, never a lost record.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import CallbackRecord, Order
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.orders import make_order


@pytest.fixture
def engine_app(database_url):
    app = make_app(database_url)
    yield app
    close_app(app)


def stored(app) -> list[CallbackRecord]:
    with app.app_context():
        return list(db.session.scalars(select(CallbackRecord).order_by(CallbackRecord.id)))


@pytest.mark.parametrize(
    ("body", "content_type", "kept"),
    [
        (b'{"request_id": "a\x00b", "status": "success"}', "application/json", "a\\x00b"),
        (b"request_id=a\x00b&status=success", "application/x-www-form-urlencoded", "a\\x00b"),
        (b'{"note": "M\xfcller\x00"}', "application/json", "M\\xfcller\\x00"),
        (b"\x00\x00\x00", "text/plain", "\\x00\\x00\\x00"),
    ],
    ids=["JSON with NUL", "form with NUL", "Latin-1 and NUL", "only NUL"],
)
def test_raw_nul_and_non_utf8_bytes_are_stored_escaped(engine_app, body, content_type, kept):
    response = engine_app.test_client().post("/callback", data=body, content_type=content_type)
    assert 400 <= response.status_code < 500
    (record,) = stored(engine_app)
    assert kept in record.body
    assert "\x00" not in record.body


@pytest.mark.parametrize(
    ("field", "value", "encoding"),
    [
        ("request_id", "abc\x00", "json"),
        ("request_id", "abc\x00", "form"),
        ("status", "success\x00", "json"),
        ("status", "success\x00", "form"),
        ("currency", "KZT\x00", "form"),
        ("request_id", "abc\x07def", "json"),
        ("status", "\ud800", "json"),  # form bodies are UTF-8: no lone surrogate there
    ],
)
def test_control_characters_in_stored_fields_are_malformed(engine_app, field, value, encoding):
    with engine_app.app_context():
        order = make_order()
    fields = {**callback_for(engine_app, order), field: value}
    client = engine_app.test_client()
    if encoding == "json":
        response = client.post(
            "/callback", data=json.dumps(fields), content_type="application/json"
        )
    else:
        response = client.post("/callback", data=fields)
    assert response.status_code == 400
    assert response.json["error"] == f"{field} contains characters that are not allowed"
    (record,) = stored(engine_app)
    assert record.outcome == "malformed"
    with engine_app.app_context():
        assert db.session.get(Order, order.id).status == "pending"


def test_a_refusal_quoting_a_field_name_with_nul_is_stored(engine_app):
    body = "a%00=1&a%00=2"
    response = engine_app.test_client().post(
        "/callback", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    (record,) = stored(engine_app)
    assert record.outcome == "malformed"
    assert record.detail == "field(s) given more than once: a\\x00"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/orders/%00/status"),
        ("GET", "/orders/%00"),
        ("GET", "/orders/%00/success"),
        ("GET", "/orders/ab%00cd/fail"),
        ("GET", "/pay/%00"),
        ("GET", "/pay/a%20b"),
        ("GET", "/pay/" + "a" * 65),
        ("GET", "/sandbox/api/jsapi/open/%00/"),
        ("POST", "/sandbox/api/jsapi/open/%00/"),
        ("GET", "/sandbox/api/jsapi/open/%C3%A9/"),
    ],
)
def test_paths_outside_the_id_alphabet_are_the_normal_404(engine_app, method, path):
    response = engine_app.test_client().open(path, method=method)
    assert response.status_code == 404

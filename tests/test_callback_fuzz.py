"""Property-based fuzzing of POST /callback: no input gives a 5xx or an unsigned change."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import CallbackRecord, Order
from tests.callback_helpers import callback_for
from tests.conftest import close_app, make_app, make_order

FIELD_NAMES = ["request_id", "status", "amount", "currency", "signature", "invoice_id", "x"]
STATUS_WORDS = ["success", "fail", "expired", "pending", "paid", "declined", "weird", ""]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(STATUS_WORDS),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
json_objects = st.dictionaries(
    st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=10)), json_values, max_size=8
)


def as_body(fields: dict, encoding: str) -> tuple[bytes, str]:
    """Encode a field dict the way a sender might, including ways that are wrong."""
    if encoding == "json":
        return json.dumps(fields, allow_nan=True).encode(), "application/json"
    flat = {str(name): "" if value is None else str(value) for name, value in fields.items()}
    return urlencode(flat).encode(), "application/x-www-form-urlencoded"


bodies = st.one_of(
    st.tuples(json_objects, st.sampled_from(["json", "form"])).map(lambda pair: as_body(*pair)),
    st.tuples(
        st.binary(max_size=200),
        st.sampled_from(
            [
                "application/json",
                "application/x-www-form-urlencoded",
                "text/plain",
                "",
                "multipart/form-data",
            ]
        ),
    ),
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}")
    with app.app_context():
        order = make_order()
    yield app, order
    close_app(app)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_unsigned_garbage_never_errors_and_never_changes_an_order(fuzz_app, body):
    app, order = fuzz_app
    data, content_type = body
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(CallbackRecord))
    response = app.test_client().post("/callback", data=data, content_type=content_type)
    assert response.status_code in {400, 403, 404, 413}, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Order, order.id).status == "pending"
        after = db.session.scalar(select(func.count()).select_from(CallbackRecord))
    assert after == before + 1, "every callback is stored"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.sampled_from(STATUS_WORDS[:-1]),
    amount=st.one_of(st.just(9000), st.integers(min_value=0, max_value=10**12)),
    extra=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda name: name not in FIELD_NAMES),
        st.one_of(st.text(max_size=20), st.integers(min_value=0, max_value=10**9)),
        max_size=4,
    ),
    encoding=st.sampled_from(["json", "form"]),
)
def test_signed_callbacks_never_error_and_pay_only_the_right_amount(
    fuzz_app, status, amount, extra, encoding
):
    app, _ = fuzz_app
    with app.app_context():
        order = make_order()
        fields = callback_for(app, order, status=status, amount=amount, **extra)
    data, content_type = as_body(fields, encoding)
    response = app.test_client().post("/callback", data=data, content_type=content_type)
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(Order, order.id)
    if stored.status == "paid":
        assert amount == order.amount and status in {"success", "paid"}

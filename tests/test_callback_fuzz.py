"""Property-based fuzzing of POST /callback on SQLite and PostgreSQL: no input gives a 5xx,
every request is stored, and nothing changes an order without a valid signature.

The inputs reach for every class the attack review found: JSON of every type and depth
(20,000 levels too), NUL and other control characters, lone surrogates, non-ASCII, bytes
that are not UTF-8, numbers past any range. Example counts come from the hypothesis
profile (tests/conftest.py): a few locally, more in CI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from checkout import signing
from checkout.extensions import db
from checkout.models import CallbackRecord, Order, OrderEvent
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.orders import make_order
from tests.support.services import required_postgres_url

# Slow: hypothesis, hundreds of examples per engine in CI.
pytestmark = pytest.mark.slow

FIELD_NAMES = ["request_id", "status", "amount", "currency", "signature", "invoice_id", "method"]
STATUS_WORDS = ["success", "fail", "expired", "pending", "paid", "declined", "weird", ""]
HOSTILE = "\x00\x01\x07\x1b\n\r\t\x7f\x85\u2028\u200b\ufeffé€😀&=%\\\"'<>"
SAFE_INTEGER = 2**53 - 1  # the largest integer JSON carries exactly inside arrays and objects

texts = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from(HOSTILE + "ab"), max_size=12),
    st.sampled_from(STATUS_WORDS),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)

json_objects = st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), texts), json_values)


@dataclass(frozen=True)
class Body:
    """A request body and its content type, shown briefly when an example fails."""

    data: bytes
    content_type: str

    def __repr__(self) -> str:
        more = f"... ({len(self.data)} bytes)" if len(self.data) > 200 else ""
        return f"Body({self.data[:200]!r}{more}, {self.content_type!r})"


def as_body(fields: dict, encoding: str) -> Body:
    """Encode a field dict the way a sender might, including ways that are wrong."""
    if encoding == "json":
        return Body(json.dumps(fields, allow_nan=True).encode(), "application/json")
    if encoding == "raw json":  # non-ASCII and U+2028 unescaped, as many senders write it
        text = json.dumps(fields, allow_nan=True, ensure_ascii=False)
        return Body(text.encode(), "application/json")
    flat = {str(name): "" if value is None else str(value) for name, value in fields.items()}
    return Body(urlencode(flat).encode(), "application/x-www-form-urlencoded")


def nested(depth: int) -> Body:
    text = '{"request_id": "x", "note": ' + "[" * depth + "]" * depth + "}"
    return Body(text.encode(), "application/json")


CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain", ""]
bodies = st.one_of(
    st.builds(as_body, json_objects, st.sampled_from(["json", "raw json", "form"])),
    st.builds(
        Body, st.binary(max_size=200), st.sampled_from([*CONTENT_TYPES, "multipart/form-data"])
    ),
    st.sampled_from([0, 1, 31, 32, 33, 1000, 20_000]).map(nested),
    st.builds(
        Body,
        st.sampled_from(
            [
                b'{"request_id": "\\u0000", "status": "success", "amount": 1, "currency": "K"}',
                b'{"request_id": "a", "status": "\\ud800", "amount": 1, "currency": "KZT"}',
                b'{"request_id": "a\x00", "amount": 1' + b"0" * 5000 + b"}",
                b"request_id=%00&status=%00&amount=1&currency=%FF",
                b"\x00" * 64,
                b'{"amount": 1e999, "note": NaN}',
            ]
        ),
        st.sampled_from(CONTENT_TYPES),
    ),
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_app(request, tmp_path_factory):
    """One app per engine for the whole module, with an order no fuzz may change."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}"
    else:
        url = required_postgres_url()
    app = make_app(url)
    with app.app_context():
        order = make_order()
    yield app, order
    close_app(app)


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@given(body=bodies)
def test_unsigned_garbage_never_errors_and_never_changes_an_order(fuzz_app, body):
    app, order = fuzz_app
    with app.app_context():
        before = count(CallbackRecord), count(OrderEvent)
    response = app.test_client().post("/callback", data=body.data, content_type=body.content_type)
    assert response.status_code in {400, 403, 404, 413}, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Order, order.id).status == "pending"
        assert (count(CallbackRecord), count(OrderEvent)) == (before[0] + 1, before[1])


# Extra fields a gateway may add: every JSON type JSON can carry exactly (RFC 8785).
signable_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-SAFE_INTEGER, max_value=SAFE_INTEGER),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
signable_values = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),  # at the top level, any size
    st.recursive(
        signable_scalars,
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3)
        ),
        max_leaves=8,
    ),
)
extra_names = texts.filter(lambda name: name and name not in FIELD_NAMES)


@given(
    status=st.sampled_from(STATUS_WORDS[:-1]),
    amount=st.one_of(st.just(9000), st.integers(min_value=0, max_value=10**12)),
    extra=st.one_of(
        st.tuples(st.dictionaries(extra_names, signable_values, max_size=4), st.just("json")),
        st.tuples(st.dictionaries(extra_names, texts, max_size=4), st.just("form")),
    ),
)
def test_signed_callbacks_with_any_extra_fields_are_accepted_and_pay_only_the_right_amount(
    fuzz_app, status, amount, extra
):
    app, _ = fuzz_app
    extra_fields, encoding = extra
    with app.app_context():
        order = make_order()
        fields = callback_for(app, order, status=status, amount=amount)
        records_before = count(CallbackRecord)
    fields = signing.signed(
        {**fields, **extra_fields},
        app.config["GATEWAY_SECRET"],
        app.config["GATEWAY_SIGNATURE_SCHEME"],
    )
    body = as_body(fields, encoding)
    response = app.test_client().post("/callback", data=body.data, content_type=body.content_type)
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(Order, order.id)
        assert count(CallbackRecord) == records_before + 1
    if stored.status == "paid":
        assert amount == order.amount and status in {"success", "paid"}

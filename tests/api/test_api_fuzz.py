"""Property-based fuzzing of POST /api/v1/checkouts: whatever the body, a 201 or a clear
problem (400, 413, 415, 422) — never a 500 — on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkout.checkout_input import FIELDS
from tests.support.api import AUTH, CHECKOUTS
from tests.support.apps import close_app, make_app
from tests.support.services import required_postgres_url

# Slow: hypothesis, hundreds of examples per engine.
pytestmark = pytest.mark.slow

WORDS = ["KZT", "USD", "card", "cis_transfer", "tbank", "RU", "trust", "https://shop.example/"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=1, max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(WORDS),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
json_objects = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)), json_values, max_size=10
)
raw_bodies = st.tuples(
    st.binary(max_size=300),
    st.sampled_from(["application/json", "text/plain", "", "application/x-www-form-urlencoded"]),
)

bodies = st.one_of(
    json_objects.map(lambda fields: (json.dumps(fields).encode(), "application/json")),
    # A valid login, so that the other fields decide: most such bodies go further in.
    json_objects.map(
        lambda fields: (json.dumps({**fields, "site_login": "alice"}).encode(), "application/json")
    ),
    raw_bodies,
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "Idempotency-Key": st.text(
            alphabet=st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=8
        )
    },
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_app(request: pytest.FixtureRequest, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('api-fuzz') / 'fuzz.sqlite3'}"
    else:
        url = required_postgres_url()
    app = make_app(url)
    yield app
    close_app(app)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, extra_headers=headers)
def test_no_body_gives_a_500(fuzz_app, body, extra_headers) -> None:
    data, content_type = body
    response = fuzz_app.test_client().post(
        CHECKOUTS,
        data=data,
        headers={**AUTH, **extra_headers, "Content-Type": content_type},
    )
    assert response.status_code in {201, 400, 413, 415, 422}, response.get_data(as_text=True)
    if response.status_code != 201:
        assert response.mimetype == "application/problem+json"
        assert response.get_json(force=True)["status"] == response.status_code

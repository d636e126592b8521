"""No signature we produce verifies as another message — above all, never as a callback.

The canonical string `name=value&...` is not escaped and one secret signs both
directions. A message's signature verifies for another message exactly when their
canonical strings are equal. A callback needs a `status` field, so its string holds
`status=` at the start or after a `&`. If no value we sign holds `&` or `=`, every `&` in
a string we sign is followed by one of our own field names and its `=`, and none of our
obtain_token fields is named `status`: no callback can share the string. The property
below checks exactly that premise — the string splits back into our fields, one `=` each
— for whatever the form accepts as a login, with every method, currency and language.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout import catalogue, signing
from checkout.forms import CheckoutForm
from checkout.models import Order, new_request_id
from checkout.views import token_request_for
from tests.support.apps import close_app, make_app
from tests.support.checkout import count, post_checkout

HOSTILE = "&=\x00\n\r\t\x07\u2028\u200b é%+;:/?#[]"
logins = st.one_of(
    st.text(max_size=70),
    st.text(alphabet=st.sampled_from("ax" + HOSTILE), max_size=12),
    st.builds(lambda a, b: f"{a}&status=success{b}", st.text(max_size=5), st.text(max_size=5)),
)


@pytest.fixture(scope="module")
def form_app(tmp_path_factory):
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('reuse') / 'reuse.sqlite3'}")
    yield app
    close_app(app)


@given(
    site_login=logins,
    method=st.sampled_from([method.code for method in catalogue.METHODS]),
    bank_app=st.sampled_from(list(catalogue.BankApp)),
    currency=st.sampled_from(["KZT", "RUB", "IDR", "USD"]),
    language=st.sampled_from([language.code for language in catalogue.LANGUAGES]),
)
def test_every_obtain_token_we_sign_splits_back_into_its_own_fields(
    form_app, site_login, method, bank_app, currency, language
):
    data = {
        "amount": "90.00",
        "currency": currency,
        "method": method,
        "bank_app": bank_app,
        "language": language,
        "site_login": site_login,
        "submission_token": "t" * 22,
    }
    with form_app.test_request_context("/", method="POST", data=data):
        form = CheckoutForm()
        if not form.validate():
            assert set(form.errors) == {"site_login"}
            return
        order = Order(
            request_id=new_request_id(),
            amount=form.amount_minor,
            currency=currency,
            method=method,
            language=language,
            bank_app=form.chosen_bank_app,
            site_login=form.site_login.data,
            customer_type="regular",
        )
        fields = token_request_for(order).fields()
    segments = signing.canonical_string(fields).split("&")
    assert [segment.count("=") for segment in segments] == [1] * len(fields)
    assert [segment.partition("=")[0] for segment in segments] == sorted(fields)
    assert "status" not in fields


def test_the_login_that_made_a_signature_pay_an_order_is_refused_at_the_door(client, app):
    response = post_checkout(client, site_login="x&status=success")
    assert response.status_code == 422
    assert count(app, Order) == 0

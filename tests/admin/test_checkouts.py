"""The back office's checkouts: the filtered list, one checkout with its orders, and payment
links made by hand with their URL to copy and a QR code drawn on the page itself."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.models import Checkout
from tests.support.api import checkout_path, new_checkout, pay_at_checkout, request_id_from
from tests.support.checkout import count

CHECKOUT_LINK = re.compile(r'href="/admin/checkouts/([a-z2-7]{26})"')
FIELD_ERROR = re.compile(r'<p class="field-error" id="([a-z_]+)-error"\s*>([^<]+)</p>')

LINK_FORM = {
    "site_login": "bob",
    "amount": "12.50",
    "currency": "USD",
    "method": "",
    "bank_app": "",
    "language": "",
    "customer_type": "regular",
    "return_url": "",
    "expires_in": "3600",
    "metadata": "",
}


def listed(page: str) -> list[str]:
    return CHECKOUT_LINK.findall(page)


@pytest.fixture
def made(client: FlaskClient) -> dict[str, dict]:
    """Three checkouts through the API: two of alice's, one of bob's, one of them paid-for."""
    return {
        "alice_invoice": new_checkout(client, metadata={"invoice": "INV-17", "plan": "gold"}),
        "alice_plain": new_checkout(client, amount=None, currency=None),
        "bob": new_checkout(client, site_login="bob", metadata={"invoice": "INV-18"}),
    }


def test_checkouts_are_listed_newest_first(admin: FlaskClient, made: dict) -> None:
    page = admin.get("/admin/checkouts").get_data(as_text=True)
    assert listed(page) == [
        made["bob"]["id"],
        made["alice_plain"]["id"],
        made["alice_invoice"]["id"],
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("login=alice", ["alice_plain", "alice_invoice"]),
        ("login=BO", ["bob"]),
        ("metadata=INV-1", ["bob", "alice_invoice"]),
        ("metadata=gold", ["alice_invoice"]),
        ("metadata=invoice&login=bob", ["bob"]),
        ("metadata=%25", []),  # a % is a character, not a pattern
        ("status=open", ["bob", "alice_plain", "alice_invoice"]),
        ("status=expired", []),
    ],
)
def test_checkouts_filter_by_login_status_and_metadata(
    admin: FlaskClient, made: dict, query: str, expected: list[str]
) -> None:
    page = admin.get(f"/admin/checkouts?{query}").get_data(as_text=True)
    assert listed(page) == [made[name]["id"] for name in expected]


def test_a_checkout_shows_its_orders_and_its_link(admin: FlaskClient, made: dict) -> None:
    checkout = made["alice_invoice"]
    request_id = request_id_from(pay_at_checkout(admin, checkout))

    page = admin.get(f"/admin/checkouts/{checkout['id']}").get_data(as_text=True)

    assert f'href="/admin/orders/{request_id}"' in page
    assert f'value="{checkout["url"]}" readonly' in page
    assert "INV-17" in page


def test_a_payment_link_made_by_hand_is_a_working_checkout(app: Flask, admin: FlaskClient) -> None:
    form = {**LINK_FORM, "metadata": '{"invoice": 17}', "return_url": "https://shop.example/"}

    created = admin.post("/admin/checkouts/new", data=form)

    assert created.status_code == 303
    public_id = created.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        from checkout.extensions import db

        row = db.session.scalar(db.select(Checkout).filter_by(public_id=public_id))
        assert (row.site_login, row.amount, row.currency, row.meta) == (
            "bob",
            1250,
            "USD",
            {"invoice": 17},
        )
    page = admin.get(created.headers["Location"]).get_data(as_text=True)
    url = f"http://localhost/c/{public_id}"
    assert f'value="{url}" readonly' in page
    # The QR code is drawn on the page: inline SVG, no image fetched from anywhere.
    svg = re.search(r'<figure class="qr"[^>]*>(.*?)</figure>', page, re.S).group(1)
    assert svg.startswith("<svg") and "<path" in svg
    assert "href" not in svg and "<image" not in svg
    customer = app.test_client()
    shown = customer.get(checkout_path({"url": url}))
    assert shown.status_code == 200 and "<dd>bob</dd>" in shown.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"site_login": ""}, "site_login", "Enter your login."),
        (
            {"site_login": "a&b"},
            "site_login",
            "Your login must not contain &amp;, = or unprintable characters.",
        ),
        ({"amount": "1.234"}, "amount", "USD allows at most 2 digits after the point."),
        ({"amount": "0"}, "amount", "The amount must be greater than zero."),
        (
            {"bank_app": "tbank"},
            "bank_app",
            "Only with the method cis_transfer or cis_transfer_card.",
        ),
        ({"return_url": "ftp://x"}, "return_url", "Must be an absolute http or https URL."),
        ({"metadata": "[1]"}, "metadata", "Must be a JSON object."),
        ({"metadata": "{oops"}, "metadata", "Enter a JSON object, e.g. {&#34;invoice&#34;: 17}."),
        ({"expires_in": "60"}, "expires_in", "Must be from 300 to 86400 seconds."),
    ],
)
def test_a_bad_payment_link_is_refused_by_the_apis_rules(
    app: Flask, admin: FlaskClient, fields: dict, field: str, message: str
) -> None:
    response = admin.post("/admin/checkouts/new", data={**LINK_FORM, **fields})

    assert response.status_code == 422
    assert (field, message) in FIELD_ERROR.findall(response.get_data(as_text=True))
    assert count(app, Checkout) == 0


def test_checkout_pages_need_signing_in(client: FlaskClient, made: dict) -> None:
    for path in (
        "/admin/checkouts",
        f"/admin/checkouts/{made['bob']['id']}",
        "/admin/checkouts/new",
    ):
        assert client.get(path).status_code in {302, 303}


def test_an_unknown_checkout_is_a_404(admin: FlaskClient) -> None:
    assert admin.get("/admin/checkouts/nope").status_code == 404

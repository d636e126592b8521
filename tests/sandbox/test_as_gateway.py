"""The sandbox as the checkout's gateway: the payment page frames its form from our own
site, it receives the signed obtain_token over HTTP, and its redirect_url is followed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout import gateway_config
from checkout.extensions import db
from checkout.sandbox.models import SandboxPayment
from tests.support.checkout import csp_directive, iframe_src, only_order, post_checkout


def test_payment_page_embeds_the_sandbox_form(app: Flask, client: FlaskClient) -> None:
    location = post_checkout(client).location
    response = client.get(location)
    assert response.status_code == 200
    key = only_order(app).gateway_key
    assert iframe_src(response.get_data(as_text=True)) == (
        f"http://localhost/sandbox/api/jsapi/open/{key}/"
    )


def test_embedded_sandbox_form_opens(app: Flask, client: FlaskClient) -> None:
    client.get(post_checkout(client).location)
    key = only_order(app).gateway_key
    assert client.get(f"/sandbox/api/jsapi/open/{key}/").status_code == 200


def test_with_the_sandbox_browsers_reach_the_gateway_on_our_site(app: Flask) -> None:
    with app.test_request_context("/", base_url="http://localhost:5000"):
        assert gateway_config.browser_gateway_base() == "http://localhost:5000/sandbox"
        assert gateway_config.gateway_origin() == "'self'"
        assert gateway_config.allowed_redirect_hosts() == {"localhost:5000"}
        # Our server reaches the sandbox over real HTTP on loopback, not through itself.
        client = gateway_config.gateway_client()
        assert client.api_base_url.startswith("http://127.0.0.1:")


def test_with_the_sandbox_the_policy_allows_our_own_origin_only(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["Content-Security-Policy"].split("; ") == [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_payment_page_allows_framing_the_sandbox_origin(client: FlaskClient) -> None:
    response = client.get(post_checkout(client).location)
    # The sandbox is served by our own site: its origin is 'self'.
    assert csp_directive(response, "frame-src") == "'self'"


def test_sandbox_received_the_signed_request_over_http(app: Flask, client: FlaskClient) -> None:
    post_checkout(client, amount="12.34", currency="USD", site_login="bob")
    order = only_order(app)
    with app.app_context():
        payment = db.session.get(SandboxPayment, order.gateway_key)
        assert payment is not None
        assert payment.params["request_id"] == order.request_id
        assert payment.params["amount"] == 1234
        assert payment.params["site_login"] == "bob"


@pytest.mark.parametrize("app_overrides", [{"SANDBOX_REDIRECT": True}])
def test_sandbox_redirect_url_is_followed(app: Flask, client: FlaskClient) -> None:
    response = post_checkout(client)
    order = only_order(app)
    assert response.status_code == 303
    assert order.redirect_url
    assert response.location == order.redirect_url
    parts = urlsplit(order.redirect_url)
    assert (parts.scheme, parts.netloc) == ("http", "localhost")
    assert re.fullmatch(r"/sandbox/api/jsapi/open/[^/]+/", parts.path)


@pytest.mark.parametrize("app_overrides", [{"SANDBOX_REDIRECT": True}])
def test_payment_page_sends_a_redirect_order_to_the_gateway(
    app: Flask, client: FlaskClient
) -> None:
    post_checkout(client)
    order = only_order(app)
    response = client.get(f"/pay/{order.request_id}")
    assert response.status_code == 303
    assert response.location == order.redirect_url

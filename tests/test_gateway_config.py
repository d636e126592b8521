"""Where the gateway is, for our server and for the customer's browser, and our own URLs:
the configured gateway, or the embedded sandbox on our own site."""

from __future__ import annotations

import pytest
from flask import Flask

from checkout import gateway_config
from tests.support.apps import close_app, make_app

LIVE = "https://Pay.Cactusgino.com:8443/gateway"


@pytest.fixture
def live_app(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'live.sqlite3'}",
        GATEWAY_BASE_URL=LIVE,
        GATEWAY_ALLOWED_REDIRECT_HOSTS=["Pay2.Example"],
        GATEWAY_CONNECT_TIMEOUT=1.5,
        GATEWAY_TIMEOUT=7.0,
    )
    yield app
    close_app(app)


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        (None, "http://localhost:5000"),  # as this request reached us
        ("https://shop.example/", "https://shop.example"),
        ("https://shop.example/checkout", "https://shop.example/checkout"),
    ],
)
def test_our_base_url_is_the_configured_one_or_the_requests(app: Flask, configured, expected):
    app.config["PUBLIC_BASE_URL"] = configured
    with app.test_request_context("/", base_url="http://localhost:5000"):
        assert gateway_config.public_base_url() == expected
        assert gateway_config.public_url("checkout.checkout_form") == expected + "/"


def test_with_the_sandbox_browsers_reach_the_gateway_on_our_site(app: Flask):
    with app.test_request_context("/", base_url="http://localhost:5000"):
        assert gateway_config.uses_sandbox()
        assert gateway_config.browser_gateway_base() == "http://localhost:5000/sandbox"
        assert gateway_config.gateway_origin() == "'self'"
        assert gateway_config.allowed_redirect_hosts() == {"localhost:5000"}
        # Our server reaches the sandbox over real HTTP on loopback, not through itself.
        client = gateway_config.gateway_client()
        assert client.api_base_url.startswith("http://127.0.0.1:")


def test_with_a_live_gateway_browser_and_server_reach_its_url(live_app: Flask):
    with live_app.test_request_context("/", base_url="http://localhost:5000"):
        assert not gateway_config.uses_sandbox()
        assert gateway_config.browser_gateway_base() == LIVE
        assert gateway_config.gateway_origin() == "https://Pay.Cactusgino.com:8443"
        # Hosts compare in lower case: a redirect to Pay.Cactusgino.com is the same host.
        assert gateway_config.allowed_redirect_hosts() == {
            "pay.cactusgino.com:8443",
            "pay2.example",
        }
        client = gateway_config.gateway_client()
    assert client.api_base_url == LIVE
    assert (client.connect_timeout, client.total_timeout) == (1.5, 7.0)
    assert client.secret == live_app.config["GATEWAY_SECRET"]


def test_every_gateway_client_of_an_app_shares_one_pooled_session(live_app: Flask, app: Flask):
    with live_app.test_request_context("/"):
        first, second = gateway_config.gateway_client(), gateway_config.gateway_client()
    with app.test_request_context("/"):
        other_app = gateway_config.gateway_client()
    assert first is not second and first.session is second.session
    assert other_app.session is not first.session

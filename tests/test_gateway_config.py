"""The gateway seam: the configured gateway, else the one a plug-in offers, else none — and
then a clear 503 on the pages that take a payment, never a 500; production refuses it.
Where browsers and our server reach it, and our own URLs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from checkout import gateway_config, http_session
from checkout.models import Order
from config import ProductionConfig
from tests.support.api import AUTH, CHECKOUTS
from tests.support.apps import PRODUCTION_SETTINGS, close_app, make_app
from tests.support.checkout import count, csp_directive, only_order, post_checkout
from tests.support.fake_gateway import FakeGateway, Reply, fake_gateway, offered_gateway
from tests.support.logs import logged

NO_GATEWAY = "No payment gateway is set: set GATEWAY_BASE_URL (or install the sandbox plug-in)."
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


@pytest.fixture
def unconfigured(sqlite_url: str) -> Iterator[Flask]:
    """An app whose GATEWAY_BASE_URL is unset, with whatever its plug-ins offered removed."""
    app = make_app(sqlite_url, GATEWAY_BASE_URL=None)
    app.extensions.pop(gateway_config.EXTENSION, None)
    yield app
    close_app(app)


@pytest.fixture
def offering(unconfigured: Flask) -> Iterator[tuple[Flask, FakeGateway]]:
    """An app whose only gateway is one offered as a plug-in would, served over HTTP."""
    with fake_gateway(Reply(json={"key": "offered-key"})) as gateway:
        offered = offered_gateway(gateway.url, banner="Pretend gateway: no money moves.")
        gateway_config.offer(unconfigured, offered)
        yield unconfigured, gateway


def test_the_configured_gateway_is_used_for_the_browser_and_the_server(app: Flask) -> None:
    with app.test_request_context():
        gateway = gateway_config.current_gateway()
        assert gateway is not None
        base = app.config["GATEWAY_BASE_URL"]
        assert gateway.browser_base_url() == gateway.api_base_url() == base
        assert gateway_config.gateway_origin() == base
        assert gateway.banner is None


def test_the_configured_gateway_wins_over_an_offered_one(app: Flask) -> None:
    gateway_config.offer(app, offered_gateway("http://offered.test"))
    with app.test_request_context():
        assert gateway_config.browser_gateway_base() == app.config["GATEWAY_BASE_URL"]


def test_an_offered_gateway_takes_payments_and_shows_its_banner(offering) -> None:
    app, gateway = offering
    client = app.test_client()
    form = client.get("/")
    assert form.status_code == 200
    assert "Pretend gateway: no money moves." in form.get_data(as_text=True)
    assert post_checkout(client).status_code == 303
    assert [call.json()["request_id"] for call in gateway.token_calls] == [
        only_order(app).request_id
    ]
    assert csp_directive(client.get("/"), "frame-src") == gateway.url


def test_a_real_gateway_shows_no_banner(client) -> None:
    assert 'class="test-banner"' not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_without_a_gateway_the_checkout_answers_503_and_creates_nothing(
    unconfigured: Flask, method: str
) -> None:
    client = unconfigured.test_client()
    response = client.open("/", method=method, data={"amount": "90.00", "currency": "KZT"})
    assert response.status_code == 503
    assert NO_GATEWAY in response.get_data(as_text=True)
    assert count(unconfigured, Order) == 0


def test_without_a_gateway_a_merchants_checkout_page_answers_503(unconfigured: Flask) -> None:
    client = unconfigured.test_client()
    created = client.post(CHECKOUTS, json={"site_login": "alice"}, headers=AUTH)
    assert created.status_code == 201
    url = "/c/" + created.json["id"]
    assert client.get(url).status_code == 503
    assert client.post(url, data={"amount": "90.00"}).status_code == 503


def test_without_a_gateway_nothing_may_be_framed_and_the_rest_works(unconfigured: Flask) -> None:
    client = unconfigured.test_client()
    assert csp_directive(client.get("/healthz"), "frame-src") == "'none'"
    assert client.get("/healthz").status_code == 200
    assert client.get("/orders/nobody/status").status_code == 404


def test_without_a_gateway_start_up_says_so(unconfigured: Flask, caplog) -> None:
    gateway_config.check(unconfigured)
    [warning] = [
        line for line in logged(caplog, "config_warning") if line["setting"] == "GATEWAY_BASE_URL"
    ]
    assert warning["reason"] == NO_GATEWAY


def test_production_without_a_gateway_is_refused(tmp_path) -> None:
    settings = {
        **PRODUCTION_SETTINGS,
        "GATEWAY_BASE_URL": None,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    with pytest.raises(SystemExit, match="GATEWAY_BASE_URL must name the gateway in production"):
        create_app(ProductionConfig, settings)


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


def test_with_a_live_gateway_browser_and_server_reach_its_url(live_app: Flask):
    with live_app.test_request_context("/", base_url="http://localhost:5000"):
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


def test_the_gateway_session_reads_the_proxy_environment_once_at_its_start(
    live_app: Flask, monkeypatch
):
    """Like webhook deliveries: proxies as at start, and never a `.netrc` password."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    with live_app.test_request_context("/"):
        session = gateway_config.gateway_client().session
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere.internal:3128")
    assert isinstance(session, http_session.Session) and not session.trust_env
    assert session.proxies["https"] == "http://proxy.internal:3128"

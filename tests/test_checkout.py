"""The customer's routes end to end: the embedded sandbox, or a fake gateway over real HTTP."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from checkout.extensions import db
from checkout.gateway import REFUSED, UNAVAILABLE
from checkout.models import Order, new_request_id
from checkout.sandbox.models import SandboxPayment
from tests.support.apps import close_app, make_app
from tests.support.checkout import (
    alert,
    all_orders,
    checkout_data,
    count,
    form_tokens,
    only_order,
    post_checkout,
)
from tests.support.fake_gateway import FakeGateway, Reply, fake_gateway, refused_url
from tests.support.live import serve

# Lower-case base32: URL-safe, and no "-" for a command line to mistake for an option.
REQUEST_ID = re.compile(r"[a-z2-7]{26}")
IFRAME_SRC = re.compile(r'<iframe src="([^"]+)"')


def csp_directive(response, name: str) -> str:
    """Return one directive of a response's Content-Security-Policy, without its name."""
    policy = response.headers["Content-Security-Policy"]
    for directive in policy.split(";"):
        words = directive.split()
        if words and words[0] == name:
            return " ".join(words[1:])
    raise AssertionError(f"no {name} in {policy!r}")


def iframe_src(page: str) -> str:
    match = IFRAME_SRC.search(page)
    assert match, "no iframe on the page"
    return match.group(1).replace("&amp;", "&")


def request_id_of(location: str) -> str:
    """Return the request_id from a `/pay/<request_id>` location."""
    match = re.fullmatch(r"/pay/([^/]+)", urlsplit(location).path)
    assert match, f"not a payment page: {location}"
    return match.group(1)


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    """A fake live gateway that answers every obtain_token with a key."""
    with fake_gateway(Reply(json={"key": "fake-key-1"})) as server:
        yield server


def gateway_app_at(database_url: str, base_url: str, **overrides: object) -> Flask:
    """Return a test app that talks to the gateway at `base_url` instead of its sandbox."""
    return make_app(database_url, GATEWAY_BASE_URL=base_url, **overrides)


@pytest.fixture
def gateway_app(sqlite_url: str, gateway: FakeGateway) -> Iterator[Flask]:
    app = gateway_app_at(sqlite_url, gateway.url)
    yield app
    close_app(app)


@pytest.fixture
def gateway_client(gateway_app: Flask) -> FlaskClient:
    return gateway_app.test_client()


# --- the sandbox path ------------------------------------------------------------------


def test_checkout_form_renders(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for name in ("amount", "currency", "method", "bank_app", "language", "site_login"):
        assert f'name="{name}"' in page
    assert 'name="customer_type"' not in page


def test_submit_redirects_to_the_payment_page(app: Flask, client: FlaskClient) -> None:
    response = post_checkout(client)
    assert response.status_code == 303
    assert response.location == f"/pay/{only_order(app).request_id}"


def test_submitted_order_is_pending_with_the_gateway_key(app: Flask, client: FlaskClient) -> None:
    post_checkout(client, amount="90.00", currency="KZT", method="card")
    order = only_order(app)
    assert (order.status, order.amount, order.currency, order.method) == (
        "pending",
        9000,
        "KZT",
        "card",
    )
    assert order.gateway_key
    assert order.error is None


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


# --- a gateway configured by GATEWAY_BASE_URL ------------------------------------------


def test_payment_page_embeds_the_configured_gateway(
    gateway: FakeGateway, gateway_client: FlaskClient
) -> None:
    response = gateway_client.get(post_checkout(gateway_client).location)
    assert iframe_src(response.get_data(as_text=True)) == (
        f"{gateway.url}/api/jsapi/open/fake-key-1/"
    )


def test_csp_frame_src_names_the_configured_gateway(
    gateway: FakeGateway, gateway_client: FlaskClient
) -> None:
    response = gateway_client.get(post_checkout(gateway_client).location)
    assert csp_directive(response, "frame-src") == gateway.url


def test_configured_gateway_received_one_obtain_token(
    gateway: FakeGateway, gateway_app: Flask, gateway_client: FlaskClient
) -> None:
    post_checkout(gateway_client)
    [call] = gateway.token_calls
    body = call.json()
    assert body["request_id"] == only_order(gateway_app).request_id
    assert body["success_url"] == (f"http://localhost/orders/{body['request_id']}/success")
    assert body["fail_url"] == f"http://localhost/orders/{body['request_id']}/fail"


def test_gateway_redirect_on_its_own_host_is_followed(
    gateway: FakeGateway, gateway_app: Flask, gateway_client: FlaskClient
) -> None:
    gateway.answer(Reply(json={"redirect_url": f"{gateway.url}/hosted/abc"}))
    response = post_checkout(gateway_client)
    assert response.status_code == 303
    assert response.location == f"{gateway.url}/hosted/abc"
    assert only_order(gateway_app).status == "pending"


# --- gateway errors --------------------------------------------------------------------


@pytest.fixture
def refused_app(sqlite_url: str) -> Iterator[Flask]:
    app = gateway_app_at(sqlite_url, refused_url())
    yield app
    close_app(app)


def test_refused_connection_shows_the_form_again_with_a_502(refused_app: Flask) -> None:
    response = post_checkout(refused_app.test_client(), amount="77.50")
    assert response.status_code == 502
    page = response.get_data(as_text=True)
    assert alert(page) == UNAVAILABLE
    assert 'value="77.50"' in page  # the customer's entries are kept
    assert "Traceback" not in page
    assert "ConnectionError" not in page  # the reason is for the record, not the customer


def test_refused_connection_stores_the_order_as_failed(refused_app: Flask) -> None:
    post_checkout(refused_app.test_client())
    order = only_order(refused_app)
    assert order.status == "failed"
    assert order.error == "gateway unreachable: ConnectionError"


@pytest.mark.parametrize(
    ("reply", "message", "reason"),
    [
        (
            Reply(status=500, body=b"boom", content_type="text/plain"),
            UNAVAILABLE,
            "gateway answered HTTP 500: boom",
        ),
        (Reply(status=400, json={"error": "bad amount"}), REFUSED, "gateway answered HTTP 400"),
        (Reply(json={"nothing": "here"}), UNAVAILABLE, "gateway answer has no key"),
        (
            Reply(json={"redirect_url": "https://evil.example/pay"}),
            UNAVAILABLE,
            "gateway redirect to a host not allowed: 'evil.example'",
        ),
    ],
    ids=["500", "400", "no key", "foreign redirect"],
)
def test_gateway_error_gives_502_and_a_failed_order(
    gateway: FakeGateway,
    gateway_app: Flask,
    gateway_client: FlaskClient,
    reply: Reply,
    message: str,
    reason: str,
) -> None:
    gateway.answer(reply)
    response = post_checkout(gateway_client)
    assert response.status_code == 502
    assert alert(response.get_data(as_text=True)) == message
    order = only_order(gateway_app)
    assert order.status == "failed"
    assert order.error.startswith(reason)


def test_gateway_error_never_shows_or_logs_secrets(
    gateway: FakeGateway,
    gateway_app: Flask,
    gateway_client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = gateway_app.config["GATEWAY_SECRET"]
    gateway.answer(
        lambda request: Reply(
            status=400,
            json={"error": f"bad signature {request.json()['signature']} for {secret}"},
        )
    )
    with caplog.at_level(logging.DEBUG):
        response = post_checkout(gateway_client)
    signature = gateway.token_calls[0].json()["signature"]
    assert response.status_code == 502
    stored = only_order(gateway_app).error
    assert "obtain_token_failed" in caplog.text  # the failure was logged, and read here
    for text in (response.get_data(as_text=True), caplog.text, stored):
        assert signature not in text
        assert secret not in text


def test_resubmitting_a_failed_form_does_not_call_the_gateway_again(
    gateway: FakeGateway, gateway_client: FlaskClient
) -> None:
    gateway.answer(Reply(status=503, body=b"", content_type="text/plain"))
    page = gateway_client.get("/").get_data(as_text=True)
    data = checkout_data(page)
    assert gateway_client.post("/", data=data).status_code == 502
    again = gateway_client.post("/", data=data)
    assert again.status_code == 502
    assert alert(again.get_data(as_text=True)) == (
        "We could not start this payment. Please try again."
    )
    assert len(gateway.token_calls) == 1


def test_form_shown_after_a_gateway_error_starts_a_new_order(
    gateway: FakeGateway, gateway_app: Flask, gateway_client: FlaskClient
) -> None:
    gateway.answer(Reply(status=503, body=b"", content_type="text/plain"))
    first = gateway_client.get("/").get_data(as_text=True)
    error_page = gateway_client.post("/", data=checkout_data(first)).get_data(as_text=True)
    assert form_tokens(error_page)["submission_token"] != form_tokens(first)["submission_token"]
    gateway.answer(Reply(json={"key": "second-try"}))
    response = gateway_client.post("/", data=checkout_data(error_page))
    assert response.status_code == 303
    assert [order.status for order in all_orders(gateway_app)] == ["failed", "pending"]


# --- double submit ---------------------------------------------------------------------


def test_same_form_posted_twice_gives_the_same_order(
    gateway: FakeGateway, gateway_app: Flask, gateway_client: FlaskClient
) -> None:
    data = checkout_data(gateway_client.get("/").get_data(as_text=True))
    first = gateway_client.post("/", data=data)
    second = gateway_client.post("/", data=data)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert count(gateway_app, Order) == 1
    assert len(gateway.token_calls) == 1


@pytest.fixture
def slow_gateway() -> Iterator[FakeGateway]:
    """A gateway slow enough that two submissions overlap while it thinks."""
    with fake_gateway(Reply(json={"key": "slow-key"}, delay=0.5)) as server:
        yield server


def test_same_form_posted_concurrently_gives_one_order(
    database_url: str, slow_gateway: FakeGateway
) -> None:
    app = gateway_app_at(database_url, slow_gateway.url)
    server, stop = serve(app)
    try:
        with requests.Session() as http:
            form = http.get(server.url + "/").text
            cookies = http.cookies
        data = checkout_data(form)
        start = threading.Barrier(2)
        locations: list[str | None] = [None, None]

        def submit(index: int) -> None:
            # Two connections from the same browser: the same session cookie.
            with requests.Session() as http:
                http.cookies.update(cookies)
                start.wait(timeout=5)
                response = http.post(server.url + "/", data=data, allow_redirects=False)
                assert response.status_code == 303
                locations[index] = response.headers["Location"]

        threads = [threading.Thread(target=submit, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert locations[0] is not None
        assert locations[0] == locations[1]
        assert count(app, Order) == 1
        assert len(slow_gateway.token_calls) == 1
    finally:
        stop()
        close_app(app)


def test_the_same_form_posted_from_another_session_never_lands_on_the_first_order(
    gateway: FakeGateway, gateway_app: Flask, gateway_client: FlaskClient
) -> None:
    data = checkout_data(gateway_client.get("/").get_data(as_text=True))
    first = gateway_client.post("/", data=data)
    stranger = gateway_app.test_client()  # another browser: its own session cookie
    stranger.get("/")
    second = stranger.post("/", data=data)
    assert first.status_code == second.status_code == 303
    assert first.location != second.location
    assert [order.site_login for order in all_orders(gateway_app)] == ["alice", "alice"]
    assert len(gateway.token_calls) == 2
    # Each browser still finds its own order again by posting its form once more.
    assert gateway_client.post("/", data=data).location == first.location
    assert stranger.post("/", data=data).location == second.location


def test_the_form_page_starts_the_session_its_post_is_bound_to(
    gateway_client: FlaskClient,
) -> None:
    """Two copies of a first post must carry the same session, so the page sets it."""
    response = gateway_client.get("/")
    assert "session=" in response.headers.get("Set-Cookie", "")


def test_same_token_with_other_details_is_a_conflict(
    gateway: FakeGateway, gateway_app: Flask, gateway_client: FlaskClient
) -> None:
    data = checkout_data(gateway_client.get("/").get_data(as_text=True))
    assert gateway_client.post("/", data=data).status_code == 303
    response = gateway_client.post("/", data={**data, "amount": "95.00"})
    assert response.status_code == 409
    assert "already submitted with other details" in alert(response.get_data(as_text=True))
    order = only_order(gateway_app)
    assert order.amount == 9000
    assert len(gateway.token_calls) == 1


# --- CSRF ------------------------------------------------------------------------------


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_csrf_token_is_required(app: Flask, client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    data = checkout_data(page)
    assert "csrf_token" in data
    without = {name: value for name, value in data.items() if name != "csrf_token"}
    refused = client.post("/", data=without)
    assert refused.status_code == 400
    assert "Your form expired" in refused.get_data(as_text=True)
    assert count(app, Order) == 0
    assert client.post("/", data=data).status_code == 303
    assert count(app, Order) == 1


# --- order pages, 404s, health ---------------------------------------------------------


def test_order_status_json(app: Flask, client: FlaskClient) -> None:
    post_checkout(client, amount="90.00", currency="KZT")
    request_id = only_order(app).request_id
    response = client.get(f"/orders/{request_id}/status")
    assert response.status_code == 200
    assert response.get_json() == {
        "request_id": request_id,
        "status": "pending",
        "amount": 9000,
        "currency": "KZT",
    }
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("suffix", ["", "/success", "/fail"])
def test_order_page_shows_the_order(app: Flask, client: FlaskClient, suffix: str) -> None:
    post_checkout(client)
    order = only_order(app)
    response = client.get(f"/orders/{order.request_id}{suffix}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert order.request_id in page
    assert "Confirming your payment" in page


@pytest.mark.parametrize(
    "path",
    ["/pay/x", "/orders/x", "/orders/x/success", "/orders/x/fail"],
)
def test_unknown_order_is_a_404_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "We could not find this order." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/pay/" + "a" * 65, "/orders/a.b", "/orders/%00/fail"])
def test_what_cannot_be_a_request_id_is_the_normal_404_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "We could not find this page." in response.get_data(as_text=True)


def test_unknown_order_status_is_a_404_json(client: FlaskClient) -> None:
    response = client.get("/orders/x/status")
    assert response.status_code == 404
    assert response.get_json() == {"error": "We could not find this order.", "status": 404}


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_request_id_is_url_safe_and_carries_at_least_80_bits(
    app: Flask, client: FlaskClient
) -> None:
    post_checkout(client)
    request_id = only_order(app).request_id
    assert REQUEST_ID.fullmatch(request_id)
    assert len(request_id) * 5 >= 80  # base32: 5 bits a character


def test_request_ids_do_not_repeat() -> None:
    ids = {new_request_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(REQUEST_ID.fullmatch(value) and len(value) * 5 >= 128 for value in ids)
    # Never read as a command-line option, whatever the random bits.
    assert not any(value.startswith("-") for value in ids)

"""The gateway client against a real local HTTP server, for every way an answer can fail."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from checkout import signing
from checkout.gateway import (
    REFUSED,
    UNAVAILABLE,
    GatewayClient,
    GatewayError,
    TokenAnswer,
    TokenRequest,
)
from tests.support.fake_gateway import FakeGateway, Received, Reply, fake_gateway, refused_url

SECRET = "gw-secret-0f1e2d3c"
ALLOWED_HOST = "pay.example"


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with fake_gateway() as server:
        yield server


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


def make_client(
    base_url: str,
    session: requests.Session,
    scheme: str = "hmac-sha256",
    total_timeout: float = 5.0,
    connect_timeout: float = 2.0,
) -> GatewayClient:
    """Return a client for `base_url` that may redirect customers to ALLOWED_HOST."""
    return GatewayClient(
        api_base_url=base_url,
        secret=SECRET,
        scheme=scheme,
        connect_timeout=connect_timeout,
        total_timeout=total_timeout,
        allowed_redirect_hosts=frozenset({ALLOWED_HOST}),
        session=session,
    )


def token_request(**changes: object) -> TokenRequest:
    """Return a CIS transfer request, the richest kind (it carries additional_fields)."""
    values: dict = {
        "merchant_id": "superkey",
        "site_id": 42,
        "site_login": "alice",
        "request_id": "uib64bc9494n9v",
        "amount": 9000,
        "currency": "KZT",
        "language": "RU",
        "customer_type": "regular",
        "method": "cis_transfer",
        "success_url": "https://shop.example/orders/uib64bc9494n9v/success",
        "fail_url": "https://shop.example/orders/uib64bc9494n9v/fail",
        "additional_fields": {"bank_app": "sberbank"},
    }
    return TokenRequest(**{**values, **changes})


def failure(client: GatewayClient) -> GatewayError:
    """Call obtain_token, expecting a GatewayError, and check no secret leaks from it."""
    with pytest.raises(GatewayError) as caught:
        client.obtain_token(token_request())
    error = caught.value
    for text in (str(error), error.reason, error.customer_message, repr(error)):
        assert SECRET not in text
    return error


# --- what the gateway receives ---------------------------------------------------------


@pytest.mark.parametrize("scheme", ["hmac-sha256", "md5"])
def test_request_is_signed_json_with_integer_amount_and_site_id(
    gateway: FakeGateway, session: requests.Session, scheme: str
) -> None:
    make_client(gateway.url, session, scheme).obtain_token(token_request())
    [call] = gateway.received
    assert call.method == "POST"
    assert call.path == "/api/jsapi/obtain_token/"
    assert call.headers["content-type"] == "application/json"
    body = call.json()
    assert type(body["amount"]) is int and body["amount"] == 9000
    assert type(body["site_id"]) is int and body["site_id"] == 42
    assert body["additional_fields"] == {"bank_app": "sberbank"}
    signing.verify(body, SECRET, scheme)


def test_request_carries_every_documented_parameter(
    gateway: FakeGateway, session: requests.Session
) -> None:
    make_client(gateway.url, session).obtain_token(token_request())
    body = gateway.received[0].json()
    assert body == {
        "merchant_id": "superkey",
        "site_id": 42,
        "site_login": "alice",
        "request_id": "uib64bc9494n9v",
        "amount": 9000,
        "currency": "KZT",
        "language": "RU",
        "customer_type": "regular",
        "method": "cis_transfer",
        "success_url": "https://shop.example/orders/uib64bc9494n9v/success",
        "fail_url": "https://shop.example/orders/uib64bc9494n9v/fail",
        "additional_fields": {"bank_app": "sberbank"},
        "signature": signing.sign(body, SECRET),
    }


def test_request_leaves_out_empty_optional_parameters(
    gateway: FakeGateway, session: requests.Session
) -> None:
    request = token_request(method=None, additional_fields=None, fail_url=None)
    make_client(gateway.url, session).obtain_token(request)
    body = gateway.received[0].json()
    assert not {"method", "additional_fields", "fail_url"} & body.keys()
    signing.verify(body, SECRET)


def test_base_url_with_a_path_and_trailing_slash(
    gateway: FakeGateway, session: requests.Session
) -> None:
    make_client(gateway.url + "/sandbox/", session).obtain_token(token_request())
    assert gateway.received[0].path == "/sandbox/api/jsapi/obtain_token/"


def test_request_does_not_contain_the_secret(
    gateway: FakeGateway, session: requests.Session
) -> None:
    make_client(gateway.url, session).obtain_token(token_request())
    assert SECRET.encode() not in gateway.received[0].body


# --- answers that work -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"key": "k-123"}, TokenAnswer(key="k-123", redirect_url=None)),
        (
            {"redirect_url": f"https://{ALLOWED_HOST}/form/1"},
            TokenAnswer(key=None, redirect_url=f"https://{ALLOWED_HOST}/form/1"),
        ),
        (
            {"key": "k-123", "redirect_url": f"http://{ALLOWED_HOST.upper()}/form/1"},
            TokenAnswer(key="k-123", redirect_url=f"http://{ALLOWED_HOST.upper()}/form/1"),
        ),
        ({"key": "k-123", "status": "ok", "extra": [1, 2]}, TokenAnswer("k-123", None)),
    ],
    ids=["key only", "redirect only", "both", "extra fields ignored"],
)
def test_usable_answer(
    gateway: FakeGateway, session: requests.Session, answer: dict, expected: TokenAnswer
) -> None:
    gateway.answer(Reply(json=answer))
    assert make_client(gateway.url, session).obtain_token(token_request()) == expected


def test_any_2xx_is_an_answer(gateway: FakeGateway, session: requests.Session) -> None:
    gateway.answer(Reply(status=201, json={"key": "k-201"}))
    assert make_client(gateway.url, session).obtain_token(token_request()).key == "k-201"


# --- every failure ---------------------------------------------------------------------


def test_read_time_out(gateway: FakeGateway, session: requests.Session) -> None:
    gateway.answer(Reply(json={"key": "too-late"}, delay=5))
    started = time.monotonic()
    error = failure(make_client(gateway.url, session, total_timeout=0.3))
    assert time.monotonic() - started < 2
    assert error.reason == "gateway timed out"
    assert error.customer_message == UNAVAILABLE


@pytest.mark.parametrize("answer", [{"key": "k" * 60}, {"error": "x" * 60}])
def test_answer_trickled_a_byte_at_a_time_ends_at_the_total_deadline(
    gateway: FakeGateway, session: requests.Session, answer: dict
) -> None:
    """Each byte comes long before a read time-out; the whole answer would take ~10 s."""
    gateway.answer(Reply(json=answer, trickle=0.05))
    started = time.monotonic()
    error = failure(make_client(gateway.url, session, total_timeout=0.5))
    assert time.monotonic() - started < 1.5
    assert error.reason == "gateway timed out"
    assert error.customer_message == UNAVAILABLE


@pytest.mark.parametrize(
    ("connect_timeout", "total_timeout"),
    [(2.0, 0), (2.0, -1), (2.0, math.nan), (2.0, math.inf), (0, 5.0), (-3, 5.0)],
)
def test_time_outs_that_are_not_positive_seconds_are_a_gateway_error(
    gateway: FakeGateway, session: requests.Session, connect_timeout: float, total_timeout: float
) -> None:
    client = make_client(
        gateway.url, session, connect_timeout=connect_timeout, total_timeout=total_timeout
    )
    error = failure(client)
    assert error.reason.startswith("gateway time-outs must be positive seconds")
    assert error.customer_message == UNAVAILABLE
    assert gateway.received == []


def test_refused_connection(session: requests.Session) -> None:
    error = failure(make_client(refused_url(), session))
    assert error.reason == "gateway unreachable: ConnectionError"
    assert error.customer_message == UNAVAILABLE


def test_server_error_asks_the_customer_to_try_later(
    gateway: FakeGateway, session: requests.Session
) -> None:
    gateway.answer(Reply(status=500, body=b"Internal Server Error", content_type="text/plain"))
    error = failure(make_client(gateway.url, session))
    assert error.reason == "gateway answered HTTP 500: Internal Server Error"
    assert error.customer_message == UNAVAILABLE


def test_client_error_says_the_payment_was_refused(
    gateway: FakeGateway, session: requests.Session
) -> None:
    gateway.answer(Reply(status=400, json={"error": "amount must be positive"}))
    error = failure(make_client(gateway.url, session))
    assert error.reason == "gateway answered HTTP 400: amount must be positive"
    assert error.customer_message == REFUSED


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_status_is_not_followed(
    gateway: FakeGateway, session: requests.Session, status: int
) -> None:
    """A 3xx is no answer: following it would re-send our signed body where we never chose."""

    def moved(request: Received) -> Reply:
        if request.path.startswith("/elsewhere"):
            return Reply(json={"key": "from-elsewhere"})
        return Reply(status=status, body=b"", headers={"Location": "/elsewhere/"})

    gateway.answer(moved)
    error = failure(make_client(gateway.url, session))
    assert error.reason.startswith(f"gateway answered HTTP {status}")
    assert len(gateway.received) == 1


def test_answer_that_is_not_json(gateway: FakeGateway, session: requests.Session) -> None:
    gateway.answer(Reply(body=b"<html>Welcome</html>", content_type="text/html"))
    error = failure(make_client(gateway.url, session))
    assert error.reason == "gateway answer is not JSON"
    assert error.customer_message == UNAVAILABLE


NESTED = b"[" * 20_000 + b"]" * 20_000  # 40 KB, far deeper than Python's recursion limit


@pytest.mark.parametrize(
    "body", [NESTED, b'{"key": "k", "extra": ' + NESTED + b"}"], ids=["array", "in a field"]
)
@pytest.mark.parametrize("status", [200, 400])
def test_answer_nested_too_deep_to_read(
    gateway: FakeGateway, session: requests.Session, body: bytes, status: int
) -> None:
    gateway.answer(Reply(status=status, body=body))
    error = failure(make_client(gateway.url, session))
    expected = "gateway answer is not JSON" if status == 200 else "gateway answered HTTP 400"
    assert error.reason.startswith(expected)


def test_answer_too_large_to_be_a_token_answer(
    gateway: FakeGateway, session: requests.Session
) -> None:
    gateway.answer(Reply(json={"key": "k-1", "padding": "x" * 100_000}))
    assert failure(make_client(gateway.url, session)).reason == "gateway answer is too large"


@pytest.mark.parametrize("answer", [["key", "k"], "k-123", 42, None])
def test_answer_that_is_not_a_json_object(
    gateway: FakeGateway, session: requests.Session, answer: object
) -> None:
    gateway.answer(Reply(json=answer))
    error = failure(make_client(gateway.url, session))
    assert error.reason == "gateway answer is not a JSON object"


@pytest.mark.parametrize(
    "answer",
    [{}, {"key": ""}, {"key": "   "}, {"key": 123}, {"key": None}, {"error": "no merchant"}],
)
def test_answer_without_a_key(
    gateway: FakeGateway, session: requests.Session, answer: dict
) -> None:
    gateway.answer(Reply(json=answer))
    error = failure(make_client(gateway.url, session))
    assert error.reason.startswith("gateway answer has no key")
    assert error.customer_message == UNAVAILABLE


@pytest.mark.parametrize(
    "redirect_url",
    [
        "https://evil.example/pay",
        f"https://{ALLOWED_HOST}.evil.example/pay",
        f"https://{ALLOWED_HOST}@evil.example/pay",
        f"https://evil.example/{ALLOWED_HOST}",
        "//evil.example/pay",
        "/relative/path",
        "javascript:alert(document.cookie)",
        f"javascript://{ALLOWED_HOST}/%0Aalert(1)",
        f"ftp://{ALLOWED_HOST}/pay",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_redirect_to_a_host_not_allowed(
    gateway: FakeGateway, session: requests.Session, redirect_url: str
) -> None:
    gateway.answer(Reply(json={"redirect_url": redirect_url}))
    error = failure(make_client(gateway.url, session))
    assert "not allowed" in error.reason
    assert error.customer_message == UNAVAILABLE


@pytest.mark.parametrize(
    "redirect_url",
    [
        "http://[::1/pay",
        f"https://{ALLOWED_HOST}:99999/pay",
        f"https://{ALLOWED_HOST}:port/pay",
        f"https://{ALLOWED_HOST}/pay\r\nSet-Cookie: session=stolen",
        f"https://{ALLOWED_HOST}/pay\nx",
        f"https://{ALLOWED_HOST}/pay\tx",
        f"https://{ALLOWED_HOST}/p\x00ay",
        f"https://{ALLOWED_HOST}/pay now",
        f"https://{ALLOWED_HOST}/pay\u2028x",
        f"https://{ALLOWED_HOST}/pay\ud800",
    ],
    ids=["bad ipv6", "port range", "port word", "crlf", "lf", "tab", "nul", "space", "ls", "lone"],
)
def test_redirect_url_that_is_not_one_line_of_url(
    gateway: FakeGateway, session: requests.Session, redirect_url: str
) -> None:
    gateway.answer(Reply(json={"redirect_url": redirect_url}))
    error = failure(make_client(gateway.url, session))
    assert error.reason.startswith("gateway redirect_url is not a URL: ")
    assert error.reason.isprintable()
    assert error.customer_message == UNAVAILABLE


@pytest.mark.parametrize("key", ["k\x00ey", "k\r\ney", "k\ud800"], ids=["nul", "crlf", "lone"])
def test_key_that_cannot_be_stored_is_refused(
    gateway: FakeGateway, session: requests.Session, key: str
) -> None:
    gateway.answer(Reply(json={"key": key}))
    error = failure(make_client(gateway.url, session))
    assert error.reason.startswith("gateway key has characters that cannot be stored")
    assert error.reason.isprintable()


def test_what_the_gateway_says_is_kept_printable(
    gateway: FakeGateway, session: requests.Session
) -> None:
    """The reason is stored on the order: PostgreSQL refuses NUL in text, logs want one line."""
    gateway.answer(Reply(status=400, json={"error": "bad\x00amount\r\nlevel=fake"}))
    error = failure(make_client(gateway.url, session))
    assert error.reason == "gateway answered HTTP 400: bad\\x00amount\\r\\nlevel=fake"


def test_foreign_redirect_is_refused_even_with_a_key(
    gateway: FakeGateway, session: requests.Session
) -> None:
    gateway.answer(Reply(json={"key": "k-1", "redirect_url": "https://evil.example/"}))
    assert "not allowed" in failure(make_client(gateway.url, session)).reason


def test_key_too_long_to_store_is_refused(gateway: FakeGateway, session: requests.Session) -> None:
    gateway.answer(Reply(json={"key": "k" * 256}))
    assert failure(make_client(gateway.url, session)).reason == "gateway key is too long"


def echo_signature(status: int, as_json: bool) -> Callable[[Received], Reply]:
    """Answer with the signature the gateway received, as some gateways do in errors."""

    def respond(request: Received) -> Reply:
        signature = request.json()["signature"]
        if as_json:
            return Reply(status=status, json={"error": f"bad signature {signature.upper()}"})
        return Reply(
            status=status, body=f"signature={signature}".encode(), content_type="text/plain"
        )

    return respond


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
@pytest.mark.parametrize("status", [200, 400, 500])
def test_echoed_signature_never_reaches_the_error(
    gateway: FakeGateway, session: requests.Session, status: int, as_json: bool
) -> None:
    """The reason is logged and stored on the order: no signature in it, in any case."""
    gateway.answer(echo_signature(status, as_json))
    error = failure(make_client(gateway.url, session))
    signature = gateway.received[0].json()["signature"]
    assert signature not in str(error).lower()


def test_echoed_secret_never_reaches_the_error(
    gateway: FakeGateway, session: requests.Session
) -> None:
    gateway.answer(Reply(status=403, json={"error": f"expected secret {SECRET}"}))
    error = failure(make_client(gateway.url, session))
    assert error.reason == "gateway answered HTTP 403: expected secret ***"


def test_unknown_scheme_is_refused_when_the_client_is_made(session: requests.Session) -> None:
    with pytest.raises(ValueError, match="unknown signature scheme"):
        make_client("http://127.0.0.1:9", session, scheme="sha1")

"""The sandbox's obtain_token over HTTP: as strict as a real gateway, naming the field at fault."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from checkout import signing
from tests.sandbox.helpers import HTTP_TIMEOUT, obtain_token, token_body

DROP = None  # a change to None leaves the field out

# (field named in the error, changes applied before signing, expected status)
BAD_FIELDS: list[tuple[str, dict[str, Any], int]] = [
    ("merchant_id", {"merchant_id": DROP}, 400),
    ("merchant_id", {"merchant_id": 7}, 400),
    ("merchant_id", {"merchant_id": "someone-else"}, 403),
    ("site_login", {"site_login": DROP}, 400),
    ("site_login", {"site_login": ""}, 400),
    ("request_id", {"request_id": "r" * 65}, 400),
    ("site_id", {"site_id": DROP}, 400),
    ("site_id", {"site_id": "1"}, 400),
    ("site_id", {"site_id": 424242}, 403),
    ("amount", {"amount": DROP}, 400),
    ("amount", {"amount": "9000"}, 400),
    ("amount", {"amount": 90.5}, 400),
    ("amount", {"amount": True}, 400),
    ("amount", {"amount": 0}, 400),
    ("amount", {"amount": -100}, 400),
    ("currency", {"currency": DROP}, 400),
    ("currency", {"currency": "kzt"}, 400),
    ("currency", {"currency": "ABC"}, 400),
    ("method", {"method": "bitcoin"}, 400),
    ("method", {"method": 3}, 400),
    ("language", {"language": "FR"}, 400),
    ("customer_type", {"customer_type": 1}, 400),
    ("success_url", {"success_url": "javascript:alert(1)"}, 400),
    ("fail_url", {"fail_url": "/orders/x/fail"}, 400),
    ("success_url", {"success_url": "http://[::1/pay"}, 400),
    ("success_url", {"success_url": "http://shop.example:port/"}, 400),
    ("fail_url", {"fail_url": "https://shop.example/fail\r\nSet-Cookie: x=1"}, 400),
    ("request_id", {"request_id": "r1\x00"}, 400),
    ("site_login", {"site_login": "alice\x00"}, 400),
    ("method", {"method": "card\n"}, 400),
    ("additional_fields", {"additional_fields": "sberbank"}, 400),
    ("additional_fields.bank_app", {"method": "cis_transfer"}, 400),
    ("additional_fields.bank_app", {"method": "cis_transfer_card", "additional_fields": {}}, 400),
    (
        "additional_fields.bank_app",
        {"method": "cis_transfer", "additional_fields": {"bank_app": "alfa"}},
        400,
    ),
    ("additional_fields.bank_app", {"additional_fields": {"bank_app": "Sberbank"}}, 400),
]


@pytest.mark.parametrize(("field", "changes", "status"), BAD_FIELDS)
def test_a_bad_field_is_refused_naming_it(live_server, field, changes, status):
    answer = obtain_token(live_server, token_body(live_server.app, live_server.url, **changes))
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["field"] == field
    assert field.split(".")[-1] in answer.json()["error"]


def test_a_body_that_is_not_json_is_refused(live_server):
    answer = requests.post(
        live_server.url + "/sandbox/api/jsapi/obtain_token/",
        data={"merchant_id": "sandbox-merchant"},
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "body"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 20_000 + "]" * 20_000, "nested more than 32 levels"),
        ('{"additional_fields": ' + '{"a":' * 40 + "1" + "}" * 40 + "}", "nested more than 32"),
        ("{not json", "not valid JSON"),
    ],
    ids=["20,000 levels", "deep additional_fields", "invalid"],
)
def test_json_that_cannot_be_read_is_refused_before_the_signature(live_server, body, message):
    answer = requests.post(
        live_server.url + "/sandbox/api/jsapi/obtain_token/",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "body"
    assert message in answer.json()["error"]


def test_a_missing_signature_is_refused(live_server):
    body = token_body(live_server.app, live_server.url)
    del body["signature"]
    answer = obtain_token(live_server, body)
    assert (answer.status_code, answer.json()["field"]) == (400, "signature")


def test_a_field_changed_after_signing_is_refused(live_server):
    body = {**token_body(live_server.app, live_server.url), "amount": 1}
    answer = obtain_token(live_server, body)
    assert (answer.status_code, answer.json()["field"]) == (403, "signature")


def test_a_signature_with_another_secret_is_refused(live_server):
    body = token_body(live_server.app, live_server.url)
    body["signature"] = signing.sign(body, "not-the-merchant-secret")
    answer = obtain_token(live_server, body)
    assert (answer.status_code, answer.json()["field"]) == (403, "signature")


@pytest.mark.parametrize("app_overrides", [{"GATEWAY_SIGNATURE_SCHEME": "md5"}])
def test_the_configured_scheme_verifies_the_signature(live_server):
    good = token_body(live_server.app, live_server.url)
    assert obtain_token(live_server, good).status_code == 200
    hmac_signed = {**good, "signature": signing.sign(good, "testing-gateway-secret")}
    assert obtain_token(live_server, hmac_signed).status_code == 403


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"method": DROP, "language": DROP, "customer_type": DROP},
        {"method": "cis_transfer", "additional_fields": {"bank_app": "sberbank"}},
        {"method": "cis_transfer_card", "additional_fields": {"bank_app": "tbank"}},
        {"customer_type": "vip"},  # anything else means regular, as documented
        {"language": "KZ", "currency": "RUB", "amount": 1},
    ],
)
def test_a_good_request_gets_only_a_key(live_server, changes):
    answer = obtain_token(live_server, token_body(live_server.app, live_server.url, **changes))
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"key"}
    assert len(answer.json()["key"]) >= 32


def test_the_same_request_again_gets_the_same_key(live_server):
    body = token_body(live_server.app, live_server.url)
    assert obtain_token(live_server, body).json() == obtain_token(live_server, body).json()


def test_a_request_id_reused_for_another_payment_is_a_conflict(live_server):
    first = token_body(live_server.app, live_server.url, request_id="order-1")
    second = token_body(live_server.app, live_server.url, request_id="order-1", amount=1)
    assert obtain_token(live_server, first).status_code == 200
    answer = obtain_token(live_server, second)
    assert (answer.status_code, answer.json()["field"]) == (409, "request_id")


@pytest.mark.parametrize("app_overrides", [{"SANDBOX_REDIRECT": True}])
def test_redirect_mode_answers_only_a_redirect_url_to_the_hosted_form(live_server):
    answer = obtain_token(live_server, token_body(live_server.app, live_server.url))
    assert set(answer.json()) == {"redirect_url"}
    url = answer.json()["redirect_url"]
    assert url.startswith(live_server.url + "/sandbox/api/jsapi/open/")
    form = requests.get(url, timeout=HTTP_TIMEOUT)
    assert form.status_code == 200
    assert "Pay" in form.text


@pytest.mark.parametrize("app_overrides", [{"SANDBOX_REDIRECT_METHODS": ["sbp"]}])
@pytest.mark.parametrize(("method", "answer_keys"), [("sbp", {"redirect_url"}), ("card", {"key"})])
def test_redirect_mode_can_be_chosen_per_method(live_server, method, answer_keys):
    answer = obtain_token(live_server, token_body(live_server.app, live_server.url, method=method))
    assert set(answer.json()) == answer_keys


@pytest.mark.parametrize("app_overrides", [{"SANDBOX_REDIRECT": True}])
def test_the_redirect_url_is_on_the_site_of_success_url(live_server):
    """Our server calls the sandbox on a loopback port: the request's own host is no guide."""
    site = "http://shop.example:8080"
    body = token_body(live_server.app, site)
    url = obtain_token(live_server, body).json()["redirect_url"]
    assert url.startswith(site + "/sandbox/api/jsapi/open/")

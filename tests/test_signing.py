"""Signer test vectors written by hand (canonical string: docs/callbacks.md), and edge cases.

Each vector states the canonical string literally and the expected digest as a literal;
the digests were computed outside this code base (openssl dgst / md5sum) and are checked
here again with hashlib/hmac directly, so a change to the canonical form cannot go unseen.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import pytest

from checkout import signing
from checkout.signing import SignatureError


@dataclass(frozen=True)
class Vector:
    """Fields and secret, the canonical string they make, and both schemes' digests."""

    name: str
    fields: dict[str, Any]
    secret: str
    canonical: str
    hmac_sha256: str
    md5: str


VECTORS = [
    Vector(
        name="obtain_token, ints and strings",
        fields={
            "merchant_id": "superkey",
            "site_id": 7,
            "site_login": "alice",
            "request_id": "uib64bc9494n9v",
            "amount": 9000,
            "currency": "KZT",
            "method": "card",
            "language": "EN",
            "customer_type": "regular",
        },
        secret="s3cr3t",
        canonical=(
            "amount=9000&currency=KZT&customer_type=regular&language=EN&merchant_id=superkey"
            "&method=card&request_id=uib64bc9494n9v&site_id=7&site_login=alice"
        ),
        hmac_sha256="15c1ca32bbe2a30941517a29dd300c85b8c467ed9cfb062632fca6f80c6840b7",
        md5="7df9191aa1ae542892bc746c8fdd847f",
    ),
    Vector(
        name="object as sorted compact JSON, non-ASCII kept, empties and signature dropped",
        fields={
            "site_login": "борис",
            "signature": "deadbeef",
            "method": "cis_transfer",
            "fail_url": "",
            "success_url": None,
            "additional_fields": {"note": "Привет", "bank_app": "sberbank"},
            "currency": "RUB",
            "amount": 150000,
        },
        secret="ключ-secret",
        canonical=(
            'additional_fields={"bank_app":"sberbank","note":"Привет"}'
            "&amount=150000&currency=RUB&method=cis_transfer&site_login=борис"
        ),
        hmac_sha256="8db7125ec595412a476cc1572c7b3c249f2787b42f2655d9d6199c6d9bc8134a",
        md5="a265609d92fe66049b4c751dff34a6bb",
    ),
    Vector(
        name="sorted by code point: capitals first, underscore before letters",
        fields={"ab": 4, "a": "1", "Z": 3, "a_b": 5, "B": "2"},
        secret="k",
        canonical="B=2&Z=3&a=1&a_b=5&ab=4",
        hmac_sha256="b118b2c838c50e0d499968627f15ab4de58ad30f66fc02793267bee47fdea32d",
        md5="2c800213ced991b24e6c915d9162dfd8",
    ),
    Vector(
        name="every JSON type: null and empty left out, the rest as RFC 8785 JSON",
        fields={
            "request_id": "r1",
            "status": "success",
            "amount": 9000,
            "currency": "KZT",
            "nothing": None,
            "blank": "",
            "flag": True,
            "off": False,
            "rate": 1.5,
            "whole": 2.0,
            "big": 1e21,
            "tags": ["a", 1, None, ""],
            "meta": {"z": None, "é": "ü", "a": [True, 0.1]},
        },
        secret="s3cr3t",
        canonical=(
            'amount=9000&big=1e+21&currency=KZT&flag=true&meta={"a":[true,0.1],"z":null,"é":"ü"}'
            '&off=false&rate=1.5&request_id=r1&status=success&tags=["a",1,null,""]&whole=2'
        ),
        hmac_sha256="73cada66ea27138ca3f3bb7ffba0d7a9d0cf163fba0b3d9b932f93fd375a4b90",
        md5="1f980545a9a45d1bce60f4663720e512",
    ),
    Vector(
        name="zero is a value, not an empty field",
        fields={"currency": "IDR", "amount": 0, "method": None},
        secret="k",
        canonical="amount=0&currency=IDR",
        hmac_sha256="92b931b9dba3ec6aa41bd31e98f0c0c5430cccf99507cf784ce67a1d2cbf6b00",
        md5="ee35f482757db30e08a3d16fae14ced8",
    ),
]
IDS = [vector.name for vector in VECTORS]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_canonical_string(vector: Vector) -> None:
    assert signing.canonical_string(vector.fields) == vector.canonical


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_literal_digests_match_the_hand_built_string(vector: Vector) -> None:
    """The literals are what HMAC-SHA256 and md5+secret give for the literal string."""
    message = vector.canonical.encode()
    secret = vector.secret.encode()
    assert hmac.new(secret, message, hashlib.sha256).hexdigest() == vector.hmac_sha256
    assert hashlib.md5(message + secret, usedforsecurity=False).hexdigest() == vector.md5


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_hmac_sha256_signature(vector: Vector) -> None:
    assert signing.sign(vector.fields, vector.secret, "hmac-sha256") == vector.hmac_sha256


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_md5_signature(vector: Vector) -> None:
    assert signing.sign(vector.fields, vector.secret, "md5") == vector.md5


def test_hmac_sha256_is_the_default_scheme() -> None:
    vector = VECTORS[0]
    assert signing.sign(vector.fields, vector.secret) == vector.hmac_sha256


def test_integer_and_its_text_sign_alike() -> None:
    assert signing.sign({"amount": 9000}, "k") == signing.sign({"amount": "9000"}, "k")


def test_nested_object_keys_are_sorted() -> None:
    fields = {"additional_fields": {"z": 1, "a": "x"}}
    assert signing.canonical_string(fields) == 'additional_fields={"a":"x","z":1}'


@pytest.mark.parametrize("scheme", ["hmac-sha256", "md5"])
def test_verify_accepts_a_valid_signature(scheme: str) -> None:
    vector = VECTORS[1]
    digest = vector.hmac_sha256 if scheme == "hmac-sha256" else vector.md5
    signing.verify({**vector.fields, "signature": digest}, vector.secret, scheme)


def test_verify_accepts_uppercase_hex() -> None:
    vector = VECTORS[0]
    fields = {**vector.fields, "signature": vector.hmac_sha256.upper()}
    signing.verify(fields, vector.secret)


def test_signed_adds_a_signature_that_verifies() -> None:
    message = {**VECTORS[0].fields, "signature": "stale"}
    result = signing.signed(message, "s3cr3t")
    assert result["signature"] == VECTORS[0].hmac_sha256
    assert message["signature"] == "stale"  # the input is left alone
    signing.verify(result, "s3cr3t")


def valid_message() -> dict[str, Any]:
    """Return the first vector's fields with their correct signature."""
    return {**VECTORS[0].fields, "signature": VECTORS[0].hmac_sha256}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"signature": "0" * 64}, "does not match"),
        ({"signature": VECTORS[0].hmac_sha256[:-1]}, "does not match"),
        ({"signature": VECTORS[0].md5}, "does not match"),
        ({"signature": "é" * 64}, "does not match"),
        ({"amount": 9001}, "does not match"),
        ({"extra": "added"}, "does not match"),
        ({"signature": ""}, "missing"),
        ({"signature": None}, "missing"),
        ({"signature": 12345}, "missing"),
        ({"amount": True}, "does not match"),
        ({"amount": 90.0}, "does not match"),
        ({"method": ["card", "sbp"]}, "does not match"),
        ({"amount": float("nan")}, "unsignable"),
        ({"method": "\ud800"}, "unsignable"),
    ],
    ids=[
        "zeros",
        "truncated",
        "other scheme",
        "non-ASCII",
        "tampered field",
        "added field",
        "empty",
        "null",
        "not a string",
        "bool",
        "float",
        "list",
        "NaN",
        "lone surrogate",
    ],
)
def test_verify_rejects(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        signing.verify({**valid_message(), **change}, "s3cr3t")


def test_verify_rejects_a_missing_signature() -> None:
    with pytest.raises(SignatureError, match="missing"):
        signing.verify(VECTORS[0].fields, "s3cr3t")


def test_verify_rejects_the_wrong_secret() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        signing.verify(valid_message(), "s3cr3t-but-not-quite")


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (True, "true"),
        (False, "false"),
        (1.5, "1.5"),
        (2.0, "2"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (0.1, "0.1"),
        (10**30, "1000000000000000000000000000000"),
        ([], "[]"),
        ([None, "", {"b": 1, "a": None}], '[null,"",{"a":null,"b":1}]'),
        ({"t": "a\nb\u0000"}, '{"t":"a\\nb\\u0000"}'),
    ],
)
def test_each_json_type_has_one_rendering(value: Any, rendered: str) -> None:
    assert signing.render_value(value) == rendered


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), [2**53], {"n": -(2**53)}, b"bytes", object()],
    ids=["NaN", "infinity", "big int in array", "big int in object", "bytes", "object"],
)
def test_sign_refuses_values_without_a_canonical_form(value: Any) -> None:
    with pytest.raises(signing.UnsignableValueError):
        signing.sign({"field": value}, "k")


def test_sign_refuses_text_that_is_not_unicode() -> None:
    with pytest.raises(signing.UnsignableValueError):
        signing.sign({"field\udc80": "x"}, "k")


@pytest.mark.parametrize("scheme", ["sha1", "HMAC-SHA256", "", "none"])
def test_check_scheme_rejects_unknown_schemes(scheme: str) -> None:
    with pytest.raises(ValueError, match="hmac-sha256, md5"):
        signing.check_scheme(scheme)


@pytest.mark.parametrize("scheme", ["hmac-sha256", "md5"])
def test_check_scheme_accepts_known_schemes(scheme: str) -> None:
    signing.check_scheme(scheme)


def test_sign_rejects_an_unknown_scheme() -> None:
    with pytest.raises(ValueError, match="unknown signature scheme"):
        signing.sign({"amount": 1}, "k", "sha1")


def test_verify_rejects_an_unknown_scheme() -> None:
    with pytest.raises(ValueError, match="unknown signature scheme"):
        signing.verify(valid_message(), "s3cr3t", "sha1")

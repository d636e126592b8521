"""The Checkouts API described in OpenAPI 3.1, served at `/api/v1/openapi.json`.

The enumerations come from the catalogue and the limits from the checks themselves, so the
description follows the code; `tests/api/test_api_openapi.py` checks the live API against it
and `scripts/api_docs.py` renders it into docs/api.md.
"""

from __future__ import annotations

from typing import Any

from checkout import catalogue
from checkout.checkout_input import (
    DEFAULT_EXPIRES_IN,
    MAX_EXPIRES_IN,
    MAX_METADATA_BYTES,
    MAX_URL_LENGTH,
    MIN_EXPIRES_IN,
)
from checkout.idempotency import MAX_KEY_LENGTH
from checkout.models import CheckoutStatus, OrderStatus
from checkout.rules import MAX_LOGIN_LENGTH

JSON = "application/json"
PROBLEM = "application/problem+json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Return a schema that also allows null (OpenAPI 3.1 / JSON Schema 2020-12 style)."""
    return {"anyOf": [schema, {"type": "null"}]}


def problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": ref("Problem")}}}


TIME = {"type": "string", "format": "date-time", "description": "RFC 3339, UTC"}
AMOUNT = {
    "type": "integer",
    "minimum": 1,
    "description": "Minor units of the currency, e.g. 9000 for 90.00 KZT.",
}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217, as offered."}
METHOD = {"type": "string", "enum": [method.code for method in catalogue.METHODS]}
LANGUAGE = {"type": "string", "enum": [language.code for language in catalogue.LANGUAGES]}
BANK_APP = {"type": "string", "enum": [app.value for app in catalogue.BankApp]}
CUSTOMER_TYPE = {"type": "string", "enum": [kind.value for kind in catalogue.CustomerType]}
SITE_LOGIN = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_LOGIN_LENGTH,
    "description": "The customer's login on your site; no `&`, `=` or control characters.",
}
RETURN_URL = {"type": "string", "format": "uri", "maxLength": MAX_URL_LENGTH}
METADATA = {
    "type": "object",
    "description": f"Your own data, echoed back; at most {MAX_METADATA_BYTES} bytes as JSON.",
}

SCHEMAS: dict[str, Any] = {
    "CheckoutCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["site_login"],
        "properties": {
            "site_login": SITE_LOGIN,
            "amount": nullable({**AMOUNT, "description": "Absent: the customer enters it."}),
            "currency": nullable({**CURRENCY, "description": "Required with amount."}),
            "method": nullable(METHOD),
            "language": nullable(LANGUAGE),
            "bank_app": nullable(
                {**BANK_APP, "description": "Only with cis_transfer or cis_transfer_card."}
            ),
            "customer_type": nullable(
                {**CUSTOMER_TYPE, "description": "Default: the shop's CUSTOMER_TYPE."}
            ),
            "return_url": nullable(RETURN_URL),
            "metadata": nullable(METADATA),
            "expires_in": nullable(
                {
                    "type": "integer",
                    "minimum": MIN_EXPIRES_IN,
                    "maximum": MAX_EXPIRES_IN,
                    "default": DEFAULT_EXPIRES_IN,
                    "description": "Seconds until the checkout expires.",
                }
            ),
        },
    },
    "Checkout": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "description": "Unguessable, URL-safe."},
            "url": {"type": "string", "format": "uri", "description": "Send the customer here."},
            "status": {"type": "string", "enum": [status.value for status in CheckoutStatus]},
            "site_login": SITE_LOGIN,
            "amount": nullable(AMOUNT),
            "currency": nullable(CURRENCY),
            "method": nullable(METHOD),
            "language": nullable(LANGUAGE),
            "bank_app": nullable(BANK_APP),
            "customer_type": CUSTOMER_TYPE,
            "return_url": nullable(RETURN_URL),
            "metadata": nullable(METADATA),
            "expires_at": TIME,
            "created_at": TIME,
            "orders": {"type": "array", "items": ref("OrderRef")},
        },
    },
    "OrderRef": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "request_id": {"type": "string"},
            "status": {"type": "string", "enum": [status.value for status in OrderStatus]},
        },
    },
    "Order": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "request_id": {"type": "string"},
            "checkout_id": nullable({"type": "string", "description": "Null: the open form."}),
            "status": {"type": "string", "enum": [status.value for status in OrderStatus]},
            "amount": AMOUNT,
            "currency": CURRENCY,
            "site_login": SITE_LOGIN,
            "method": nullable(METHOD),
            "metadata": nullable(METADATA),
            "created_at": TIME,
            "paid_at": nullable(TIME),
        },
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "additionalProperties": False,
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "object",
                "description": "On a 422: each field at fault and its messages.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}
# Every answer carries every field (null when empty): all properties are required.
for name in ("Checkout", "OrderRef", "Order"):
    SCHEMAS[name]["required"] = list(SCHEMAS[name]["properties"])

UNAUTHORIZED = problem("No or a wrong API key (with `WWW-Authenticate: Bearer`).")
NOT_FOUND = problem("No such object.")


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 description of the Checkouts API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cactus Checkout — Checkouts API",
            "version": "1",
            "description": "Your server creates a checkout for its signed-in customer and "
            "sends them to its `url`; the customer pays; you read the order.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/checkouts": {
                "post": {
                    "operationId": "createCheckout",
                    "summary": "Create a checkout",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": "Retry safely: the same key and body get the "
                            "same answer; the same key with another body gets 422. Kept "
                            "at least 24 hours.",
                            "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {JSON: {"schema": ref("CheckoutCreate")}},
                    },
                    "responses": {
                        "201": {
                            "description": "Created (or replayed for a known Idempotency-Key, "
                            "with `Idempotent-Replayed: true`).",
                            "headers": {
                                "Location": {"schema": {"type": "string"}},
                                "Idempotent-Replayed": {"schema": {"type": "string"}},
                            },
                            "content": {JSON: {"schema": ref("Checkout")}},
                        },
                        "400": problem("The body is not a JSON object, or a bad Idempotency-Key."),
                        "401": UNAUTHORIZED,
                        "413": problem("The body is larger than 64 KB."),
                        "415": problem("The body is not sent as application/json."),
                        "422": problem(
                            "Fields are not valid, or the Idempotency-Key was "
                            "used with another body: see `errors`."
                        ),
                    },
                }
            },
            "/checkouts/{id}": {
                "get": {
                    "operationId": "getCheckout",
                    "summary": "Read a checkout, with its orders",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "The checkout.",
                            "content": {JSON: {"schema": ref("Checkout")}},
                        },
                        "401": UNAUTHORIZED,
                        "404": NOT_FOUND,
                    },
                }
            },
            "/orders/{request_id}": {
                "get": {
                    "operationId": "getOrder",
                    "summary": "Read an order",
                    "parameters": [
                        {
                            "name": "request_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The order.",
                            "content": {JSON: {"schema": ref("Order")}},
                        },
                        "401": UNAUTHORIZED,
                        "404": NOT_FOUND,
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Authorization: Bearer <MERCHANT_API_KEY>",
                }
            },
            "schemas": SCHEMAS,
        },
    }

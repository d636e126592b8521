"""The gateway's callbacks: stored first, then parsed, verified and applied to the order.

Each step can only refuse with a `CallbackRejected` carrying the outcome and HTTP status,
so nothing a sender puts in a request reaches a 500.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import structlog
from flask import Request, current_app
from werkzeug.wsgi import get_input_stream

from checkout import client_address, logs, metrics, safe_json, safe_text, signing
from checkout.extensions import db
from checkout.models import CallbackOutcome, CallbackRecord, OrderStatus, utcnow
from checkout.orders import apply_gateway_status, get_order
from checkout.repository import callbacks as stored_callbacks

log = structlog.get_logger(__name__)

NOTABLE_HEADERS = (
    "Content-Type",
    "Content-Length",
    "User-Agent",
    "X-Forwarded-For",
    "X-Real-IP",
    "X-Request-Id",
)
# A missing signature is not malformed but unauthenticated: verify() answers it with 403.
REQUIRED_FIELDS = ("request_id", "status", "amount", "currency")


class CallbackRejected(Exception):
    """A callback we answer with an error status; `message` is safe to send back."""

    def __init__(self, outcome: CallbackOutcome, status: int, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Callback:
    """A parsed callback: the fields as received (for the signature) and typed essentials."""

    fields: dict[str, Any]
    request_id: str
    status_word: str
    amount: int
    currency: str


def store(request: Request) -> CallbackRecord:
    """Record a callback exactly as it arrived, before anything else looks at it.

    The INSERT opens the transaction in which the callback is then processed, and the
    record commits with its outcome — durably, before any answer goes out. Whatever
    processing does, the record stays: a refusal is written onto it, and an unexpected
    failure rolls back the processing and stores the record again (`process`). If the
    process dies before the commit, no answer went out and the gateway delivers again.
    """
    limit = current_app.config["CALLBACK_MAX_BYTES"]
    record = CallbackRecord(
        source_ip=client_address.current().text,
        content_type=_storable(request.content_type or "", 255) or None,
        headers={
            name: _storable(request.headers[name], 500)
            for name in NOTABLE_HEADERS
            if name in request.headers
        },
        body_truncated=False,
        http_request_id=logs.current_request_id(),
    )
    # Not request.stream: over MAX_CONTENT_LENGTH it refuses to read at all, and the record
    # would lose the body. Reading at most limit + 1 bytes is safe at any Content-Length.
    body = get_input_stream(request.environ, max_content_length=None).read(limit + 1)
    if len(body) > limit or (request.content_length or 0) > limit:
        record.body_truncated = True
    record.body = safe_text.decode_body(body[:limit])
    return keep(record)


def keep(record: CallbackRecord) -> CallbackRecord:
    """Store a callback as received, in a transaction its outcome will commit with."""
    record.received_at = utcnow()
    record.outcome = CallbackOutcome.RECEIVED
    record.id = stored_callbacks.insert_record(record)
    return record


def _storable(header: str, limit: int) -> str:
    """Return a header value the database can store, cut to its column."""
    return safe_text.storable(header)[:limit]


def check_source(record: CallbackRecord) -> None:
    """Refuse callbacks from outside the configured networks, when any are configured.

    :raise CallbackRejected: 403 for a source outside the allow-list.
    """
    networks = current_app.config["CALLBACK_ALLOWED_NETWORKS"]
    if not networks:
        return
    source = client_address.parse(record.source_ip).ip  # a marked invalid address is None
    if source is None or not any(
        source in ipaddress.ip_network(network, strict=False) for network in networks
    ):
        rejection = CallbackRejected(
            CallbackOutcome.FORBIDDEN_SOURCE, 403, "callbacks are not accepted from this address"
        )
        _finish(record, rejection.outcome, rejection.message)
        raise rejection


def parse(record: CallbackRecord) -> Callback:
    """Read a stored callback's fields from a JSON or form-encoded body.

    :raise CallbackRejected: 413 for a body over the limit, 400 for anything malformed.
    """
    if record.body_truncated:
        raise CallbackRejected(CallbackOutcome.TOO_LARGE, 413, "callback body is too large")
    fields = _decode_body(record.body, record.content_type or "")
    missing = [name for name in REQUIRED_FIELDS if fields.get(name) in (None, "")]
    if missing:
        raise _malformed(f"missing field(s): {', '.join(missing)}")
    for name in ("request_id", "status", "currency"):
        if not isinstance(fields[name], str):
            raise _malformed(f"{name} must be a string")
        # They are stored and looked up: NUL and the like would fail in the database.
        if not fields[name].isprintable():
            raise _malformed(f"{name} contains characters that are not allowed")
    amount = _amount(fields["amount"])
    try:
        signing.canonical_string(fields)
    except signing.UnsignableValueError as error:
        raise _malformed(f"a field has a value that cannot be signed: {error}") from None
    return Callback(
        fields=fields,
        request_id=fields["request_id"],
        status_word=fields["status"].strip().lower(),
        amount=amount,
        currency=fields["currency"].strip().upper(),
    )


def _decode_body(body: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type or body.lstrip().startswith("{"):
        try:
            fields = safe_json.loads(body)
        except safe_json.JSONInputError as error:
            raise _malformed(str(error)) from None
        if not isinstance(fields, dict):
            raise _malformed("body must be a JSON object")
        return fields
    try:
        pairs = parse_qs(body, keep_blank_values=True, strict_parsing=bool(body))
    except ValueError:
        raise _malformed("body is neither JSON nor form-encoded") from None
    repeated = [name for name, values in pairs.items() if len(values) > 1]
    if repeated:
        raise _malformed(f"field(s) given more than once: {', '.join(repeated)}")
    return {name: values[0] for name, values in pairs.items()}


def _amount(value: Any) -> int:
    if isinstance(value, bool):
        raise _malformed("amount must be an integer of minor units")
    if isinstance(value, int):
        amount = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        amount = int(value)
    else:
        raise _malformed("amount must be an integer of minor units")
    if amount < 0 or amount >= 2**63:
        raise _malformed("amount is out of range")
    return amount


def _malformed(message: str) -> CallbackRejected:
    return CallbackRejected(CallbackOutcome.MALFORMED, 400, message)


def verify(callback: Callback) -> None:
    """Check the callback's signature with the configured scheme, in constant time.

    :raise CallbackRejected: 403 when the signature is missing or wrong.
    """
    config = current_app.config
    try:
        signing.verify(
            callback.fields, config["GATEWAY_SECRET"], config["GATEWAY_SIGNATURE_SCHEME"]
        )
    except signing.SignatureError as error:
        raise CallbackRejected(CallbackOutcome.BAD_SIGNATURE, 403, str(error)) from None


def reported_status(status_word: str) -> OrderStatus | None:
    """Map the gateway's status word to our order state, as configured."""
    state = current_app.config["CALLBACK_STATUS_MAP"].get(status_word)
    return OrderStatus(state) if state else None


def process(record: CallbackRecord) -> CallbackOutcome:
    """Parse, verify and apply a stored callback; write its outcome back to the record.

    :raise CallbackRejected: for a callback answered with an error status.
    """
    try:
        callback = parse(record)
        record.request_id = callback.request_id[:64]
        record.gateway_status = callback.status_word[:64]
        verify(callback)
        order = get_order(callback.request_id)
        if order is None:
            raise CallbackRejected(CallbackOutcome.UNKNOWN_ORDER, 404, "unknown request_id")
        record.order_id = order.id
        reported = reported_status(callback.status_word)
        if reported is None:
            outcome = CallbackOutcome.UNKNOWN_STATUS
        else:
            outcome = apply_gateway_status(
                order, reported, callback.amount, callback.currency, callback_id=record.id
            )
    except CallbackRejected as rejection:
        _finish(record, rejection.outcome, rejection.message)
        raise
    except Exception as error:
        _keep_after_failure(record, error)
        raise
    _finish(record, outcome, None)
    return outcome


def _keep_after_failure(record: CallbackRecord, error: Exception) -> None:
    """Undo a failed processing but never the record: store it again if the rollback took it."""
    db.session.rollback()
    record.outcome = CallbackOutcome.ERROR
    record.detail = f"processing failed: {type(error).__name__}"
    if stored_callbacks.find(record.id) is None:
        record.id = stored_callbacks.insert_record(record)
    _finish(record, record.outcome, record.detail)


def _finish(record: CallbackRecord, outcome: CallbackOutcome, detail: str | None) -> None:
    """Write the outcome back to the record, committing the change it caused with it."""
    record.outcome = outcome
    # Refusals may quote what the sender wrote (a field's name): keep it storable.
    record.detail = safe_text.storable(detail) if detail else None
    stored_callbacks.write_findings(record)
    db.session.commit()
    metrics.count_callback(outcome)
    log.info(
        "callback",
        id=record.id,
        request_id=record.request_id,
        status=record.gateway_status,
        outcome=str(outcome),
    )

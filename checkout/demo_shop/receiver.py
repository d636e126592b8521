"""The shop's webhook receiver, as a merchant should write one: store, verify, de-duplicate,
then act — and answer 2xx only for what it has safely taken.

Verification is the Standard Webhooks library's (timestamp tolerance included), with the
shop's copy of the secret. A webhook-id acted on is written in the same transaction as what
it did, under a primary key: a repeated delivery finds it there and does nothing again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from checkout import safe_json, safe_text
from checkout.demo_shop import deposits, repository
from checkout.demo_shop.models import ReceivedWebhook, WebhookOutcome
from checkout.extensions import db
from checkout.models import utcnow

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
KEPT_HEADERS = ("content-type", "user-agent", *SIGNATURE_HEADERS)
MAX_HEADER_CHARS = 512
MAX_WEBHOOK_ID = 64
PANEL_SIZE = 20


class Refused(Exception):
    """A delivery the shop will not act on; the message says why."""


@dataclass(frozen=True)
class Receipt:
    """What the receiver did with a delivery, and the HTTP status it answers."""

    outcome: WebhookOutcome
    detail: str
    status: int


def receive(body: bytes, headers: Mapping[str, str], secret: str) -> Receipt:
    """Take one delivery: store it, verify it, then act on it once. Commits."""
    record = store(body, headers)
    try:
        text = verify(body, headers, secret)
    except Refused as refusal:
        return finish(record, Receipt(WebhookOutcome.BAD_SIGNATURE, str(refusal), 400))
    try:
        webhook_id, event_type, order = read_event(headers, text)
    except Refused as refusal:
        receipt = Receipt(WebhookOutcome.UNREADABLE, str(refusal), 400)
        return finish(record, receipt, verified=True)
    try:
        repository.insert_handled(webhook_id, utcnow())
    except IntegrityError:
        db.session.rollback()
        detail = "this webhook-id was handled already: nothing done again"
        receipt = Receipt(WebhookOutcome.DUPLICATE, detail, 200)
        return finish(record, receipt, verified=True, event_type=event_type)
    outcome, detail = deposits.apply_event(event_type, order)
    receipt = Receipt(outcome, detail, 200)
    return finish(record, receipt, verified=True, event_type=event_type)


def store(body: bytes, headers: Mapping[str, str]) -> ReceivedWebhook:
    """Record the delivery as it came, before anything else is done with it. Commits."""
    kept = {name: bounded(headers.get(name)) for name in KEPT_HEADERS if headers.get(name)}
    record = repository.insert_webhook(
        received_at=utcnow(),
        webhook_id=bounded(headers.get("webhook-id"), MAX_WEBHOOK_ID),
        headers=json.dumps(kept, ensure_ascii=False),
        body=safe_text.decode_body(body),
        verified=False,
        outcome=WebhookOutcome.RECEIVED,
    )
    db.session.commit()
    return record


def bounded(value: str | None, limit: int = MAX_HEADER_CHARS) -> str | None:
    """Return a header value fit to store: at most `limit` characters, NUL escaped."""
    return safe_text.storable(value[:limit]) if value else None


def verify(body: bytes, headers: Mapping[str, str], secret: str) -> str:
    """Return the body's text if its Standard Webhooks signature holds.

    :raise Refused: for a missing, malformed, stale or wrong signature, or a body that is
        not the UTF-8 the signature covers.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("the body is not UTF-8") from None
    signature_headers = {name: headers.get(name) or "" for name in SIGNATURE_HEADERS}
    try:
        Webhook(secret).verify(text, signature_headers, json_parse=False)
    except WebhookVerificationError as error:
        raise Refused(f"signature not verified: {error}") from None
    except (ValueError, TypeError, OverflowError):
        # The library unpacks and decodes the signature header without checking its shape.
        raise Refused("signature not verified: the webhook-signature header is malformed") from None
    return text


def read_event(headers: Mapping[str, str], text: str) -> tuple[str, str, Mapping[str, Any]]:
    """Return the webhook-id, type and order of a verified event.

    :raise Refused: when it is not JSON `{"type": ..., "data": {...}}`.
    """
    try:
        event = safe_json.loads(text)
    except safe_json.JSONInputError as error:
        raise Refused(str(error)) from None
    webhook_id = headers.get("webhook-id") or ""
    if len(webhook_id) > MAX_WEBHOOK_ID:
        raise Refused(f"the webhook-id is longer than {MAX_WEBHOOK_ID} characters")
    if not (
        isinstance(event, dict)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
    ):
        raise Refused('the event is not {"type": ..., "data": {...}}')
    return webhook_id, event["type"][:32], event["data"]


def finish(
    record: ReceivedWebhook,
    receipt: Receipt,
    verified: bool = False,
    event_type: str | None = None,
) -> Receipt:
    """Write what was done on the delivery's record, and commit it with the change."""
    repository.update_webhook(
        record,
        verified=verified,
        event_type=event_type,
        outcome=receipt.outcome,
        detail=receipt.detail,
    )
    db.session.commit()
    return receipt


def latest(limit: int = PANEL_SIZE) -> list[ReceivedWebhook]:
    """Return the newest deliveries, for the "Webhooks received" panel."""
    return repository.latest_webhooks(limit)

"""One order's whole story in time order: its events, every callback that named it, and
the webhooks that told the merchant (each with its delivery attempts)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from checkout.callback_replay import replay_of
from checkout.models import CallbackOutcome, CallbackRecord, Order, OrderEvent
from checkout.repository import callbacks as stored_callbacks
from checkout.repository import orders as stored_orders
from checkout.webhooks.models import WebhookAttempt, WebhookEvent
from checkout.webhooks.repository import events_of_order

EVENT_TITLES = {
    "created": "Order created",
    "token_requested": "Payment key requested from the gateway",
    "token_received": "Gateway answered with a payment key",
    "token_failed": "Gateway gave no payment key",
    "callback": "Status changed by a callback",
    "flagged": "Flagged for review",
    "expired": "Expired: pending for too long",
    "abandoned": "Failed: the gateway call never finished",
}
# Callbacks that did what they should, that changed nothing, and that were refused.
GOOD_OUTCOMES = frozenset({CallbackOutcome.ACCEPTED})
QUIET_OUTCOMES = frozenset(
    {CallbackOutcome.DUPLICATE, CallbackOutcome.RECEIVED, CallbackOutcome.IGNORED_FINAL}
)


@dataclass(frozen=True)
class TimelineEntry:
    """A line of the timeline: an order event or a callback, with what to show about it."""

    at: datetime
    title: str
    event: OrderEvent | None = None
    callback: CallbackRecord | None = None
    webhook: WebhookEvent | None = None
    attempt: WebhookAttempt | None = None

    @property
    def detail_text(self) -> str | None:
        """Return the event's detail (parameters sent, the gateway's answer) or the webhook's
        body, as indented JSON."""
        if self.webhook is not None and self.attempt is None:
            return pretty_body(self.webhook.payload)
        if self.event is None or not self.event.detail:
            return None
        return json.dumps(self.event.detail, indent=2, ensure_ascii=False, sort_keys=True)

    @property
    def body_text(self) -> str | None:
        """Return the callback's raw body, indented when it is JSON, or the merchant's answer."""
        if self.attempt is not None:
            return self.attempt.response
        return pretty_body(self.callback.body) if self.callback is not None else None

    @property
    def tone(self) -> str:
        """Return how the line should look: ok, quiet, warn or bad."""
        if self.callback is not None:
            return outcome_tone(self.callback.outcome)
        if self.attempt is not None:
            return "ok" if self.attempt.succeeded else "bad"
        if self.event is not None and self.event.kind in {"flagged", "token_failed", "abandoned"}:
            return "warn"
        return "quiet"


def outcome_tone(outcome: str) -> str:
    """Return ok, quiet, warn or bad for a callback outcome."""
    if outcome in GOOD_OUTCOMES:
        return "ok"
    if outcome in QUIET_OUTCOMES:
        return "quiet"
    if outcome in {CallbackOutcome.AMOUNT_MISMATCH, CallbackOutcome.IGNORED_AFTER_PAID}:
        return "warn"
    return "bad"


def pretty_body(body: str) -> str:
    """Return a body as JSON indented for reading if it parses, otherwise exactly as stored."""
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return body
    return json.dumps(parsed, indent=2, ensure_ascii=False)


def order_timeline(order: Order) -> list[TimelineEntry]:
    """Return the order's events and callbacks merged in the order they happened.

    Callbacks that named the order but were refused before it was looked up (a bad
    signature, say) are included: they are part of what happened to it.
    """
    entries = [event_entry(event) for event in stored_orders.events_of(order)]
    if not any(entry.event is not None and entry.event.kind == "created" for entry in entries):
        entries.append(TimelineEntry(at=order.created_at, title=EVENT_TITLES["created"]))
    entries += [callback_entry(record) for record in stored_callbacks.naming(order)]
    for webhook in events_of_order(order.id):
        entries.append(webhook_entry(webhook))
        entries += [attempt_entry(webhook, attempt) for attempt in webhook.attempt_log]
    # A callback is stored before the state change it causes; ties keep that order.
    return sorted(entries, key=lambda entry: (entry.at, entry.event is not None, _id(entry)))


def event_entry(event: OrderEvent) -> TimelineEntry:
    """Return the timeline line of an order event."""
    title = EVENT_TITLES.get(event.kind, event.kind.replace("_", " ").capitalize())
    return TimelineEntry(at=event.created_at, title=title, event=event)


def callback_entry(record: CallbackRecord) -> TimelineEntry:
    """Return the timeline line of a stored callback."""
    title = f"Callback #{record.id} received"
    original = replay_of(record)
    if original:
        title = f"Callback #{record.id}: replay of #{original}"
    return TimelineEntry(at=record.received_at, title=title, callback=record)


def webhook_entry(webhook: WebhookEvent) -> TimelineEntry:
    """Return the timeline line of a webhook written for the order."""
    title = f"Webhook {webhook.type} written ({webhook.webhook_id}), {webhook.state}"
    return TimelineEntry(at=webhook.created_at, title=title, webhook=webhook)


def attempt_entry(webhook: WebhookEvent, attempt: WebhookAttempt) -> TimelineEntry:
    """Return the timeline line of one attempt to deliver a webhook."""
    answer = f"HTTP {attempt.status_code}" if attempt.status_code is not None else attempt.error
    title = f"Webhook {webhook.type} sent: {answer} in {attempt.duration_ms} ms"
    return TimelineEntry(at=attempt.started_at, title=title, webhook=webhook, attempt=attempt)


def _id(entry: TimelineEntry) -> int:
    item = entry.event or entry.callback or entry.attempt or entry.webhook
    return item.id if item is not None else 0

"""The outbox: one row per event for the merchant, and one row per attempt to deliver it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checkout.extensions import Model
from checkout.models import Order, utcnow


class EventType(StrEnum):
    """What happened to an order, as the merchant's server is told (docs/webhooks.md)."""

    PAID = "order.paid"
    FAILED = "order.failed"
    EXPIRED = "order.expired"
    FLAGGED = "order.flagged"


class DeliveryState(StrEnum):
    """Where an event's delivery stands: due (now or later), acknowledged, or given up."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookEvent(Model):
    """An event written in the transaction of the change that caused it, until delivered.

    `payload` holds the exact body, so every retry and resend sends the same bytes under
    the same `webhook_id`. A worker owns an attempt while `claimed_by` is its token and
    `claimed_until` is in the future; a claim that lapses (the worker died) is taken over.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING)
    # Attempts in the current series: the first, then one per retry delay; a resend resets it.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship()
    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        back_populates="event", order_by="WebhookAttempt.id"
    )


class WebhookAttempt(Model):
    """One POST to the merchant and what came of it; never the secret or the signature."""

    __tablename__ = "webhook_attempts"
    # /metrics counts the attempts of the last minutes by their start.
    __table_args__ = (Index("ix_webhook_attempts_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    started_at: Mapped[datetime]
    duration_ms: Mapped[int]
    status_code: Mapped[int | None]
    # The first 1 KB of the answer, or what went wrong (time-out, refused connection...).
    response: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str] = mapped_column(String(64))
    # `http_request_id` of the attempt's log lines: the request's when one made it.
    http_request_id: Mapped[str | None] = mapped_column(String(64))

    event: Mapped[WebhookEvent] = relationship(back_populates="attempt_log")

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

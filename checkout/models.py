"""Database tables: checkouts, orders, their timeline, every callback that ever arrived,
and the turns of the periodic chores."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checkout.extensions import Model


def utcnow() -> datetime:
    """Return the current UTC time, naive, as stored alike by SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


REQUEST_ID_LENGTH = 64


def new_request_id() -> str:
    """Return an unguessable order id: 128 random bits as 26 lower-case base32 characters.

    Base32 rather than base64url: no `-` that a command line would take for an option
    (`flask orders show -Dx…`), no case that a person reading it out could get wrong.
    """
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


class OrderStatus(StrEnum):
    CREATED = "created"
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in {OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.EXPIRED}


class CallbackOutcome(StrEnum):
    """What became of a callback; stored on its record."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    TOO_LARGE = "too_large"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    FORBIDDEN_SOURCE = "forbidden_source"
    UNKNOWN_ORDER = "unknown_order"
    UNKNOWN_STATUS = "unknown_status"
    AMOUNT_MISMATCH = "amount_mismatch"
    IGNORED_AFTER_PAID = "ignored_after_paid"
    IGNORED_FINAL = "ignored_final"
    ERROR = "error"


# Orders still under way; a checkout has at most one at a time (see Order.__table_args__).
LIVE_ORDER = text("status IN ('created', 'pending')")


class Order(Model):
    __tablename__ = "orders"
    # One payment under way per checkout, however many tabs or clicks race to start one:
    # the database refuses a second live order (partial unique index, SQLite and PostgreSQL).
    __table_args__ = (
        Index(
            "uq_orders_live_checkout",
            "checkout_id",
            unique=True,
            sqlite_where=LIVE_ORDER,
            postgresql_where=LIVE_ORDER,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(REQUEST_ID_LENGTH), unique=True, default=new_request_id
    )
    # Digest of the rendered form's hidden token and the poster's session (sha256, hex):
    # one form, one order per session, however often it is posted (checkout.submissions).
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))
    bank_app: Mapped[str | None] = mapped_column(String(16))
    site_login: Mapped[str] = mapped_column(String(64))
    customer_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.CREATED, index=True)
    gateway_key: Mapped[str | None] = mapped_column(String(255))
    redirect_url: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    # Set when a callback disagreed with the order (amount, currency, fail after paid).
    review_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None]
    # The merchant's checkout this order pays; None for the open form at `/`.
    checkout_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkouts.id", name="fk_orders_checkout_id_checkouts"), index=True
    )

    checkout: Mapped[Checkout | None] = relationship(back_populates="orders")
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    @property
    def order_status(self) -> OrderStatus:
        return OrderStatus(self.status)


class OrderEvent(Model):
    """One line of an order's timeline: a state change or something worth knowing."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")


class CallbackRecord(Model):
    """A callback exactly as it arrived, stored before anything acts on it."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_request_id", "request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    source_ip: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(255))
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text, default="")
    body_truncated: Mapped[bool] = mapped_column(default=False)
    request_id: Mapped[str | None] = mapped_column(String(64))
    gateway_status: Mapped[str | None] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(32), default=CallbackOutcome.RECEIVED)
    detail: Mapped[str | None] = mapped_column(Text)
    # The HTTP request that delivered it (`http_request_id` in the logs); none for a replay.
    http_request_id: Mapped[str | None] = mapped_column(String(64))


class CheckoutStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    EXPIRED = "expired"


class Checkout(Model):
    """A payment the merchant's server prepared for its customer (the Checkouts API, docs/api.md).

    A column left empty is chosen by the customer on the checkout's page.
    """

    __tablename__ = "checkouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the merchant and the customer's URL see: unguessable, URL-safe.
    public_id: Mapped[str] = mapped_column(
        String(REQUEST_ID_LENGTH), unique=True, default=new_request_id
    )
    site_login: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int | None] = mapped_column(BigInteger)  # minor units
    currency: Mapped[str | None] = mapped_column(String(3))
    method: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(2))
    bank_app: Mapped[str | None] = mapped_column(String(16))
    customer_type: Mapped[str] = mapped_column(String(16))
    return_url: Mapped[str | None] = mapped_column(Text)
    # `metadata` is taken on a declarative class; the column keeps the API's name.
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(String(16), default=CheckoutStatus.OPEN, index=True)
    # The order whose payment settled the checkout; set once, by compare-and-set.
    paid_request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_LENGTH))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None]

    orders: Mapped[list[Order]] = relationship(back_populates="checkout", order_by="Order.id")


class IdempotencyKey(Model):
    """The answer given to a create request with an `Idempotency-Key`, replayed on a retry."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: of two requests racing with one key, the database lets one create.
    key: Mapped[str] = mapped_column(String(255), unique=True)
    # SHA-256 of the request body as parsed, so a different body is told apart.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class HousekeepingTurn(Model):
    """When a periodic chore last started, on any machine: the row its turns are claimed on."""

    __tablename__ = "housekeeping_turns"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]

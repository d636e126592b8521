"""The demo shop's own tables: its users' deposits, and the webhooks it received.

They belong to the shop, not to the checkout: their own metadata, migrations
(`checkout/demo_shop/migrations/`, with their own version table), and no foreign key into
the checkout's tables — the shop knows a payment only by what the API and webhooks told it,
as a merchant's site would.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from checkout.models import utcnow


class ShopBase(DeclarativeBase):
    metadata = MetaData()


class DepositStatus(StrEnum):
    """What the shop knows of a deposit."""

    STARTING = "starting"  # recorded; the checkout is being created
    OPEN = "open"  # the user was sent to pay; nothing heard yet
    CREDITED = "credited"  # order.paid arrived: the balance holds it (final)
    FAILED = "failed"  # order.failed: the user may try again on the same checkout
    EXPIRED = "expired"  # order.expired
    FLAGGED = "flagged"  # order.flagged, or a paid event that disagrees: held for review
    ERROR = "error"  # the checkout could not be created

    @property
    def is_waiting(self) -> bool:
        """Tell whether the shop still waits to hear how the payment ended."""
        return self in {DepositStatus.STARTING, DepositStatus.OPEN}


class Deposit(ShopBase):
    """Money a user asked to add to their balance, and what became of it.

    `form_key` is the Idempotency-Key of the form that asked for it: posting that form twice
    makes one deposit and one checkout. `credited_at` is set once, by a compare-and-set, when
    the balance takes the amount.
    """

    __tablename__ = "demo_shop_deposits"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    form_key: Mapped[str] = mapped_column(String(64), unique=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=DepositStatus.STARTING)
    checkout_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))  # the last order heard of
    needs_review: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    credited_at: Mapped[datetime | None]

    @property
    def deposit_status(self) -> DepositStatus:
        return DepositStatus(self.status)


class WebhookOutcome(StrEnum):
    """What the shop did with a delivery, shown on the "Webhooks received" panel."""

    RECEIVED = "received"  # stored; not yet verified
    BAD_SIGNATURE = "bad_signature"
    UNREADABLE = "unreadable"  # signed, but not an event the shop understands
    DUPLICATE = "duplicate"  # this webhook-id was handled already
    CREDITED = "credited"
    ALREADY_CREDITED = "already_credited"
    RECORDED = "recorded"  # the deposit's state changed; nothing to credit
    MISMATCH = "mismatch"  # paid, but not what the deposit asked for: held for review
    NOT_OURS = "not_ours"  # an order of no deposit of this shop


class ReceivedWebhook(ShopBase):
    """One delivery that reached the receiver, stored before anything else is done with it."""

    __tablename__ = "demo_shop_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    webhook_id: Mapped[str | None] = mapped_column(String(64))
    headers: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    verified: Mapped[bool] = mapped_column(default=False)
    event_type: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32), default=WebhookOutcome.RECEIVED)
    detail: Mapped[str | None] = mapped_column(Text)


class HandledEvent(ShopBase):
    """A webhook-id the shop has acted on: its primary key is the de-duplication."""

    __tablename__ = "demo_shop_handled_events"

    webhook_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(default=utcnow)

"""The sandbox gateway's own record of the payments it was asked to take.

Its own metadata and migrations (`checkout/sandbox/migrations/`, with their own version
table), and no foreign key into the checkout's tables: a gateway knows a payment only by
what the merchant sent it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from checkout.models import utcnow


class SandboxBase(DeclarativeBase):
    metadata = MetaData()


class SandboxState(StrEnum):
    OPEN = "open"
    PAID = "paid"
    DECLINED = "declined"
    EXPIRED = "expired"


class SandboxPayment(SandboxBase):
    """One obtain_token answered by the sandbox; its key opens the hosted form once."""

    __tablename__ = "sandbox_payments"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=SandboxState.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    @property
    def is_open(self) -> bool:
        """Tell whether the customer may still decide (the key was not used yet)."""
        return self.state == SandboxState.OPEN

    @property
    def language(self) -> str | None:
        """Return the gateway language code the merchant asked for, if any."""
        return self.params.get("language") or None

    @property
    def return_url(self) -> str | None:
        """Return where the customer goes after this payment's outcome, if the merchant said."""
        name = "success_url" if self.state == SandboxState.PAID else "fail_url"
        return self.params.get(name) or None

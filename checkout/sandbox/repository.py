"""The sandbox's statements: the payments it was asked to take (`sandbox_payments`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from checkout.extensions import db
from checkout.repository import write
from checkout.sandbox.models import SandboxPayment, SandboxState

BY_REQUEST_ID = select(SandboxPayment).where(SandboxPayment.request_id == bindparam("request_id"))
INSERT_PAYMENT = insert(SandboxPayment).returning(SandboxPayment)
# Compare-and-set: a payment is decided once, by whichever request comes first.
DECIDE = (
    update(SandboxPayment)
    .where(SandboxPayment.key == bindparam("match_key"), SandboxPayment.state == SandboxState.OPEN)
    .returning(SandboxPayment)
)


def find(key: str) -> SandboxPayment | None:
    """Return the payment a hosted-form key opens, or None."""
    return db.session.get(SandboxPayment, key)


def find_by_request_id(request_id: str) -> SandboxPayment | None:
    """Return the payment the merchant asked for under this request_id, or None."""
    return db.session.scalar(BY_REQUEST_ID, {"request_id": request_id})


def insert_payment(key: str, request_id: str, params: dict[str, Any]) -> SandboxPayment:
    """Insert a payment and return it.

    :raise IntegrityError: when its request_id was registered meanwhile.
    """
    values = {"key": key, "request_id": request_id, "params": params}
    payment: SandboxPayment = write(INSERT_PAYMENT, values).scalar_one()
    return payment


def decide(payment: SandboxPayment, state: SandboxState, now: datetime) -> bool:
    """Give an open payment its outcome; return whether it was still open."""
    params = {"match_key": payment.key, "state": state, "decided_at": now}
    return write(DECIDE, params).first() is not None

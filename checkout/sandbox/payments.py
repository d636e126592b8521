"""The sandbox's payments: registering an obtain_token and deciding its outcome once."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.exc import IntegrityError

from checkout.extensions import db
from checkout.models import utcnow
from checkout.repository import reload
from checkout.sandbox import repository
from checkout.sandbox.models import SandboxPayment, SandboxState
from checkout.sandbox.validation import TokenRequestError

MAX_KEY_LENGTH = 64


def find(key: str) -> SandboxPayment | None:
    """Return the payment a hosted-form key opens, or None."""
    return repository.find(key) if len(key) <= MAX_KEY_LENGTH else None


def find_by_request_id(request_id: str) -> SandboxPayment | None:
    """Return the payment the merchant asked for under this request_id, or None."""
    return repository.find_by_request_id(request_id)


def register(params: dict[str, Any]) -> SandboxPayment:
    """Record an accepted obtain_token; the same request again gets the same key.

    :raise TokenRequestError: 409 when the request_id was used for a different payment.
    """
    payment = find_by_request_id(params["request_id"])
    if payment is None:
        try:
            payment = repository.insert_payment(
                secrets.token_urlsafe(24), params["request_id"], params
            )
            db.session.commit()
            return payment
        except IntegrityError:  # the same request_id, registered meanwhile by a twin request
            db.session.rollback()
            payment = find_by_request_id(params["request_id"])
    if payment is None or payment.params != params:
        raise TokenRequestError(
            "request_id", "request_id was already used for a different payment", status=409
        )
    return payment


def close(payment: SandboxPayment, state: SandboxState) -> bool:
    """Decide an open payment's outcome unless another request decided it first.

    :return: whether this call decided it (and so must send the callback).
    """
    decided = repository.decide(payment, state, utcnow())
    db.session.commit()
    if not decided:
        reload(payment)  # decided by another request: show its outcome
    return decided

"""Things that happen to orders, for code that must react to them (fulfilment, e-mail)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from blinker import Namespace, Signal
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from checkout.extensions import db
from checkout.models import Order

AFTER_COMMIT = "checkout_after_commit"

log = structlog.get_logger(__name__)

signals = Namespace()

#: Sent once per order, after the commit that marked it paid. Receivers get `order=`,
#: a `PaidOrder`. At most once: a receiver that raises is logged and not called again for
#: that order (see README, "Callbacks and order states").
order_paid = signals.signal("order-paid")

#: Sent after the commit of each change of an order's state (so never for one rolled
#: back). Receivers get `change=`, a `StateChange`.
order_changed = signals.signal("order-changed")


@dataclass(frozen=True)
class PaidOrder:
    """What a receiver of `order_paid` needs, fixed at the moment the order was paid."""

    id: int
    request_id: str
    amount: int
    currency: str

    @classmethod
    def of(cls, order: Order) -> PaidOrder:
        return cls(order.id, order.request_id, order.amount, order.currency)


@dataclass(frozen=True)
class StateChange:
    """One committed change of an order's state, and when the order was created."""

    request_id: str
    from_status: str
    to_status: str
    created_at: datetime
    changed_at: datetime


def send_after_commit(signal: Signal, **kwargs: Any) -> None:
    """Send `signal` once the current transaction commits; never if it rolls back."""
    app = current_app._get_current_object()
    actions: list[Callable[[], Any]] = db.session.info.setdefault(AFTER_COMMIT, [])
    actions.append(lambda: send_to_each(app, signal, **kwargs))


def send_to_each(app: Flask, signal: Signal, **kwargs: Any) -> None:
    """Call every receiver of `signal`; one that raises is logged, and the others still run.

    The change behind the signal is committed: an exception cannot undo it, only turn the
    answer to the gateway or the customer into a 500 (the gateway's retry is then a
    duplicate that sends nothing) and keep the receivers after it from running.
    """
    for receiver in signal.receivers_for(app):
        try:
            receiver(app, **kwargs)
        except Exception:
            subject = kwargs.get("order") or kwargs.get("change")
            log.exception(
                "signal_receiver_failed",
                signal=signal.name,
                receiver=f"{receiver.__module__}.{receiver.__qualname__}",
                request_id=getattr(subject, "request_id", None),
                note="it will not be called again for this event: act on it by hand",
            )


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for action in session.info.pop(AFTER_COMMIT, []):
        action()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(AFTER_COMMIT, None)


def log_order_paid(app: Flask, order: PaidOrder) -> None:
    """Say in the log that an order was paid: the place where fulfilment would start."""
    log.info(
        "order_paid", request_id=order.request_id, amount=order.amount, currency=order.currency
    )


def init_app(app: Flask) -> None:
    order_paid.connect(log_order_paid, sender=app)

"""The demo shop's statements: its deposits, the webhooks it received, and the webhook-ids
it acted on. Built once, run in the caller's transaction; the shop's services commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, insert, literal, select, update

from checkout.demo_shop.models import (
    Deposit,
    DepositStatus,
    HandledEvent,
    ReceivedWebhook,
)
from checkout.extensions import db
from checkout.repository import write

DEPOSIT_BY_PUBLIC_ID = select(Deposit).where(Deposit.public_id == bindparam("public_id"))
DEPOSIT_BY_FORM_KEY = select(Deposit).where(Deposit.form_key == bindparam("form_key"))
DEPOSIT_BY_CHECKOUT_ID = select(Deposit).where(Deposit.checkout_id == bindparam("checkout_id"))
INSERT_DEPOSIT = insert(Deposit).returning(Deposit)
# Compare-and-sets, each returning the row it changed (nothing when the condition failed).
UPDATE_DEPOSIT_IN_STATUS = (
    update(Deposit)
    .where(
        Deposit.id == bindparam("match_id"),
        Deposit.status.in_(bindparam("match_statuses", expanding=True)),
    )
    .returning(Deposit)
)
# Nothing ever changes a credited deposit's status: the credit is final.
UPDATE_UNCREDITED_DEPOSIT = (
    update(Deposit)
    .where(Deposit.id == bindparam("match_id"), Deposit.credited_at.is_(None))
    .returning(Deposit)
)
FLAG_DEPOSIT = (
    update(Deposit)
    .where(Deposit.id == bindparam("match_id"))
    .values(
        needs_review=True,
        status=case(
            (Deposit.credited_at.is_(None), literal(DepositStatus.FLAGGED.value)),
            else_=Deposit.status,
        ),
    )
    .returning(Deposit)
)
BALANCES = (
    select(Deposit.currency, func.sum(Deposit.amount))
    .where(Deposit.login == bindparam("login"), Deposit.credited_at.is_not(None))
    .group_by(Deposit.currency)
    .order_by(Deposit.currency)
)
RECENT_DEPOSITS = (
    select(Deposit)
    .where(Deposit.login == bindparam("login"))
    .order_by(Deposit.id.desc())
    .limit(bindparam("limit"))
)

INSERT_WEBHOOK = insert(ReceivedWebhook).returning(ReceivedWebhook)
UPDATE_WEBHOOK = (
    update(ReceivedWebhook)
    .where(ReceivedWebhook.id == bindparam("match_id"))
    .returning(ReceivedWebhook)
)
LATEST_WEBHOOKS = (
    select(ReceivedWebhook).order_by(ReceivedWebhook.id.desc()).limit(bindparam("limit"))
)
INSERT_HANDLED = insert(HandledEvent)


def deposit_by_public_id(public_id: str) -> Deposit | None:
    return db.session.scalar(DEPOSIT_BY_PUBLIC_ID, {"public_id": public_id})


def deposit_by_form_key(form_key: str) -> Deposit | None:
    return db.session.scalar(DEPOSIT_BY_FORM_KEY, {"form_key": form_key})


def deposit_by_checkout_id(checkout_id: str) -> Deposit | None:
    return db.session.scalar(DEPOSIT_BY_CHECKOUT_ID, {"checkout_id": checkout_id})


def insert_deposit(**values: Any) -> Deposit:
    """Insert a deposit and return it.

    :raise IntegrityError: when its form_key made a deposit meanwhile.
    """
    deposit: Deposit = write(INSERT_DEPOSIT, values).scalar_one()
    return deposit


def update_deposit_in_status(
    deposit: Deposit, statuses: list[DepositStatus], now: datetime, **values: Any
) -> bool:
    """Change a deposit still in one of `statuses`; return whether it was."""
    params = {"match_id": deposit.id, "match_statuses": statuses, "updated_at": now, **values}
    return write(UPDATE_DEPOSIT_IN_STATUS, params).first() is not None


def update_uncredited_deposit(deposit: Deposit, now: datetime, **values: Any) -> bool:
    """Change a deposit not credited yet; return whether it was not."""
    params = {"match_id": deposit.id, "updated_at": now, **values}
    return write(UPDATE_UNCREDITED_DEPOSIT, params).first() is not None


def flag_deposit(deposit: Deposit, note: str, now: datetime) -> None:
    """Mark a deposit for review; one not credited yet is also held (status flagged)."""
    write(FLAG_DEPOSIT, {"match_id": deposit.id, "note": note, "updated_at": now})


def balances(login: str) -> list[tuple[str, int]]:
    """Return the sum of a user's credited deposits per currency."""
    rows = db.session.execute(BALANCES, {"login": login})
    return [(currency, int(total)) for currency, total in rows]


def recent_deposits(login: str, limit: int) -> list[Deposit]:
    return list(db.session.scalars(RECENT_DEPOSITS, {"login": login, "limit": limit}))


def insert_webhook(**values: Any) -> ReceivedWebhook:
    record: ReceivedWebhook = write(INSERT_WEBHOOK, values).scalar_one()
    return record


def update_webhook(record: ReceivedWebhook, **values: Any) -> None:
    write(UPDATE_WEBHOOK, {"match_id": record.id, **values})


def latest_webhooks(limit: int) -> list[ReceivedWebhook]:
    return list(db.session.scalars(LATEST_WEBHOOKS, {"limit": limit}))


def insert_handled(webhook_id: str, now: datetime) -> None:
    """Record that a webhook-id was acted on.

    :raise IntegrityError: when it was already (its primary key).
    """
    write(INSERT_HANDLED, {"webhook_id": webhook_id, "handled_at": now})

"""Merchants' checkouts (`checkouts`) and the API's idempotency keys: every statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy import inspect as sa_inspect

from checkout.extensions import db
from checkout.models import Checkout, CheckoutStatus, IdempotencyKey, Order
from checkout.repository import write, write_rows
from checkout.repository.orders import LIVE_STATUSES

# The caller chooses every value, public id included, and answers from them: the row needs
# no RETURNING, and the ORM no unit of work (`write_rows` runs the INSERT as written).
INSERT_CHECKOUT = insert(Checkout)
# (attribute, column) of every column a new checkout sets: all but the generated id.
CHECKOUT_COLUMNS = [
    (attribute.key, attribute.columns[0])
    for attribute in sa_inspect(Checkout).column_attrs
    if attribute.key != "id"
]
BY_PUBLIC_ID = select(Checkout).where(Checkout.public_id == bindparam("public_id"))
# Starting a payment: the checkout must be open and not overdue. The UPDATE holds the row
# until the transaction ends.
HOLD_OPEN = (
    update(Checkout)
    .where(
        Checkout.id == bindparam("match_id"),
        Checkout.status == CheckoutStatus.OPEN,
        Checkout.expires_at > bindparam("match_now"),
    )
    .returning(Checkout)
)
UPDATE_IF_OPEN = (
    update(Checkout)
    .where(Checkout.id == bindparam("match_id"), Checkout.status == CheckoutStatus.OPEN)
    .returning(Checkout)
)
# Compare-and-set: of any number of orders paid at once, one finds the checkout unpaid.
SETTLE = (
    update(Checkout)
    .where(Checkout.id == bindparam("match_id"), Checkout.paid_request_id.is_(None))
    .returning(Checkout)
)
OPEN_AND_DUE = select(Checkout).where(
    Checkout.status == CheckoutStatus.OPEN, Checkout.expires_at <= bindparam("now")
)
EXPIRED_WITH_LIVE_ORDERS = select(Checkout).where(
    Checkout.status == CheckoutStatus.EXPIRED,
    Checkout.id.in_(select(Order.checkout_id).where(Order.status.in_(LIVE_STATUSES))),
)
BY_KEY = select(IdempotencyKey).where(IdempotencyKey.key == bindparam("key"))
INSERT_KEY = insert(IdempotencyKey)
DELETE_KEYS_BEFORE = delete(IdempotencyKey).where(IdempotencyKey.created_at < bindparam("cutoff"))


def insert_checkout(checkout: Checkout) -> None:
    """Insert a new checkout, built in full by the caller, as one INSERT."""
    values = {column.key: getattr(checkout, attribute) for attribute, column in CHECKOUT_COLUMNS}
    write_rows(INSERT_CHECKOUT, values)


def find(public_id: str) -> Checkout | None:
    """Return the checkout with this public id, or None."""
    return db.session.scalar(BY_PUBLIC_ID, {"public_id": public_id})


def hold_open(checkout: Checkout, now: datetime) -> bool:
    """Lock the checkout's row if it is open and not overdue, until the transaction ends.

    :return: whether it is (and is now held).
    """
    params = {"match_id": checkout.id, "match_now": now, "updated_at": now}
    return write(HOLD_OPEN, params).first() is not None


def expire(checkout: Checkout, now: datetime) -> bool:
    """Close the checkout as expired, if it is still open; return whether it was."""
    params = {
        "match_id": checkout.id,
        "status": CheckoutStatus.EXPIRED,
        "expires_at": min(checkout.expires_at, now),
        "updated_at": now,
    }
    return write(UPDATE_IF_OPEN, params).first() is not None


def settle(checkout_id: int, request_id: str, now: datetime) -> bool:
    """Mark a checkout paid by this order, unless an order paid it before; return whether."""
    params = {
        "match_id": checkout_id,
        "status": CheckoutStatus.PAID,
        "paid_request_id": request_id,
        "paid_at": now,
        "updated_at": now,
    }
    return write(SETTLE, params).first() is not None


def open_and_due(now: datetime) -> list[Checkout]:
    """Return the open checkouts whose time is up."""
    return list(db.session.scalars(OPEN_AND_DUE, {"now": now}))


def expired_with_live_orders() -> list[Checkout]:
    """Return the expired checkouts that still have an order under way."""
    return list(db.session.scalars(EXPIRED_WITH_LIVE_ORDERS))


def find_key(key: str) -> IdempotencyKey | None:
    """Return the stored Idempotency-Key row, or None."""
    return db.session.scalar(BY_KEY, {"key": key})


def insert_key(key: str, fingerprint: str, status_code: int, response_body: str) -> None:
    """Store the answer given for a key.

    :raise IntegrityError: when another request stored this key first.
    """
    params = {
        "key": key,
        "fingerprint": fingerprint,
        "status_code": status_code,
        "response_body": response_body,
    }
    write_rows(INSERT_KEY, params)


def delete_keys_before(cutoff: datetime) -> int:
    """Delete the keys created before `cutoff`; return how many."""
    result: Any = write(DELETE_KEYS_BEFORE, {"cutoff": cutoff})
    deleted: int = result.rowcount
    return deleted

"""The shop's deposits: one per submitted form, credited once, whatever the webhooks repeat.

Every change is a compare-and-set the database decides, so duplicate or concurrent
deliveries (and several workers) cannot credit a deposit twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from checkout.demo_shop.models import Deposit, DepositStatus, WebhookOutcome
from checkout.extensions import db
from checkout.models import utcnow
from checkout.money import format_minor

# The user the shop has signed in: a demo has one.
DEMO_LOGIN = "demo-user"
RECENT = 20


class FormReused(Exception):
    """The form's key already made a deposit of another amount or currency."""


def find(public_id: str) -> Deposit | None:
    """Return the deposit with this public id, or None."""
    return db.session.scalar(select(Deposit).where(Deposit.public_id == public_id))


def start(login: str, amount: int, currency: str, form_key: str) -> Deposit:
    """Record the deposit a form asks for; the same form posted again returns the same one.

    :raise FormReused: when the form's key was used for another amount or currency.
    """
    deposit = _by_form_key(form_key)
    if deposit is None:
        deposit = Deposit(
            public_id=secrets.token_urlsafe(16),
            form_key=form_key,
            login=login,
            amount=amount,
            currency=currency,
        )
        db.session.add(deposit)
        try:
            db.session.commit()
            return deposit
        except IntegrityError:  # the same form, posted twice at once: the other one won
            db.session.rollback()
            deposit = _by_form_key(form_key)
    if deposit is None or (deposit.login, deposit.amount, deposit.currency) != (
        login,
        amount,
        currency,
    ):
        raise FormReused(form_key)
    return deposit


def _by_form_key(form_key: str) -> Deposit | None:
    return db.session.scalar(select(Deposit).where(Deposit.form_key == form_key))


def opened(deposit: Deposit, checkout_id: str, url: str) -> None:
    """Keep the checkout made for a deposit; the user is now sent to pay it."""
    _set(
        deposit,
        Deposit.status.in_([DepositStatus.STARTING, DepositStatus.ERROR]),
        status=DepositStatus.OPEN,
        checkout_id=checkout_id,
        checkout_url=url,
        note=None,
    )


def could_not_start(deposit: Deposit, reason: str) -> None:
    """Record why no checkout could be made (the form may be posted again)."""
    _set(deposit, Deposit.status == DepositStatus.STARTING, status=DepositStatus.ERROR, note=reason)


def _set(deposit: Deposit, condition: Any, **values: Any) -> bool:
    """Change a deposit if `condition` still holds in the database; commit; refresh it."""
    changed = _change(deposit, condition, **values)
    db.session.commit()
    db.session.refresh(deposit)
    return changed


def balances(login: str) -> list[tuple[str, int]]:
    """Return the user's balance per currency: the sum of their credited deposits."""
    query = (
        select(Deposit.currency, func.sum(Deposit.amount))
        .where(Deposit.login == login, Deposit.credited_at.is_not(None))
        .group_by(Deposit.currency)
        .order_by(Deposit.currency)
    )
    return [(currency, int(total)) for currency, total in db.session.execute(query)]


def recent(login: str, limit: int = RECENT) -> list[Deposit]:
    """Return the user's newest deposits."""
    query = select(Deposit).where(Deposit.login == login).order_by(Deposit.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def apply_event(event_type: str, order: Mapping[str, Any]) -> tuple[WebhookOutcome, str]:
    """Act on a verified webhook about an order, in the caller's transaction (not committed).

    `order` is the event's `data`, the Checkouts API's order object. Only a paid event that
    matches what the deposit asked for credits it, once; nothing ever un-credits it.

    :return: what was done, and a line saying so for the panel.
    """
    checkout_id = order.get("checkout_id")
    deposit = (
        db.session.scalar(select(Deposit).where(Deposit.checkout_id == checkout_id))
        if isinstance(checkout_id, str)
        else None
    )
    if deposit is None:
        return WebhookOutcome.NOT_OURS, "no deposit of this shop made this order's checkout"
    request_id = order.get("request_id") if isinstance(order.get("request_id"), str) else None
    amount = format_minor(deposit.amount, deposit.currency)
    if event_type == "order.paid":
        asked = (deposit.amount, deposit.currency, deposit.login)
        if (order.get("amount"), order.get("currency"), order.get("site_login")) != asked:
            _change(
                deposit,
                Deposit.credited_at.is_(None),
                status=DepositStatus.FLAGGED,
                needs_review=True,
                note="paid, but not the amount, currency or user this deposit asked for",
            )
            return WebhookOutcome.MISMATCH, f"not credited: the order is not the {amount} asked"
        credited = _change(
            deposit,
            Deposit.credited_at.is_(None),
            status=DepositStatus.CREDITED,
            credited_at=utcnow(),
            request_id=request_id,
        )
        if credited:
            return WebhookOutcome.CREDITED, f"credited {amount} to {deposit.login}"
        return WebhookOutcome.ALREADY_CREDITED, f"{amount} was credited before: nothing to do"
    if event_type in ("order.failed", "order.expired"):
        status = DepositStatus.FAILED if event_type == "order.failed" else DepositStatus.EXPIRED
        # A paid deposit stays paid; a failed one may still be paid by a retry on its checkout.
        changed = _change(
            deposit, Deposit.credited_at.is_(None), status=status, request_id=request_id
        )
        if changed:
            return WebhookOutcome.RECORDED, f"deposit of {amount} marked {status}"
        return WebhookOutcome.RECORDED, f"deposit of {amount} stays credited"
    if event_type == "order.flagged":
        _change(
            deposit,
            Deposit.id == deposit.id,
            status=case(
                (Deposit.credited_at.is_(None), DepositStatus.FLAGGED.value),
                else_=Deposit.status,
            ),
            needs_review=True,
            note="the checkout flagged this payment for review (order status: "
            f"{order.get('status')})",
        )
        return WebhookOutcome.RECORDED, f"deposit of {amount} held for review"
    return WebhookOutcome.RECORDED, f"event type {event_type!r} needs nothing from the shop"


def _change(deposit: Deposit, condition: Any, **values: Any) -> bool:
    """Change a deposit if `condition` still holds in the database, without committing."""
    return (
        db.session.execute(
            update(Deposit)
            .where(Deposit.id == deposit.id, condition)
            .values(updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )

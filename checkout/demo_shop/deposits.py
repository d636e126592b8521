"""The shop's deposits: one per submitted form, credited once, whatever the webhooks repeat.

Every change is a compare-and-set the database decides (`repository`), so duplicate or
concurrent deliveries (and several workers) cannot credit a deposit twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from checkout.demo_shop import repository
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
    return repository.deposit_by_public_id(public_id)


def start(login: str, amount: int, currency: str, form_key: str) -> Deposit:
    """Record the deposit a form asks for; the same form posted again returns the same one.

    :raise FormReused: when the form's key was used for another amount or currency.
    """
    deposit = repository.deposit_by_form_key(form_key)
    if deposit is None:
        now = utcnow()
        try:
            deposit = repository.insert_deposit(
                public_id=secrets.token_urlsafe(16),
                form_key=form_key,
                login=login,
                amount=amount,
                currency=currency,
                status=DepositStatus.STARTING,
                needs_review=False,
                created_at=now,
                updated_at=now,
            )
            db.session.commit()
            return deposit
        except IntegrityError:  # the same form, posted twice at once: the other one won
            db.session.rollback()
            deposit = repository.deposit_by_form_key(form_key)
    if deposit is None or (deposit.login, deposit.amount, deposit.currency) != (
        login,
        amount,
        currency,
    ):
        raise FormReused(form_key)
    return deposit


def opened(deposit: Deposit, checkout_id: str, url: str) -> None:
    """Keep the checkout made for a deposit; the user is now sent to pay it."""
    repository.update_deposit_in_status(
        deposit,
        [DepositStatus.STARTING, DepositStatus.ERROR],
        utcnow(),
        status=DepositStatus.OPEN,
        checkout_id=checkout_id,
        checkout_url=url,
        note=None,
    )
    db.session.commit()


def could_not_start(deposit: Deposit, reason: str) -> None:
    """Record why no checkout could be made (the form may be posted again)."""
    repository.update_deposit_in_status(
        deposit, [DepositStatus.STARTING], utcnow(), status=DepositStatus.ERROR, note=reason
    )
    db.session.commit()


def balances(login: str) -> list[tuple[str, int]]:
    """Return the user's balance per currency: the sum of their credited deposits."""
    return repository.balances(login)


def recent(login: str, limit: int = RECENT) -> list[Deposit]:
    """Return the user's newest deposits."""
    return repository.recent_deposits(login, limit)


def apply_event(event_type: str, order: Mapping[str, Any]) -> tuple[WebhookOutcome, str]:
    """Act on a verified webhook about an order, in the caller's transaction (not committed).

    `order` is the event's `data`, the Checkouts API's order object. Only a paid event that
    matches what the deposit asked for credits it, once; nothing ever un-credits it.

    :return: what was done, and a line saying so for the panel.
    """
    checkout_id = order.get("checkout_id")
    deposit = (
        repository.deposit_by_checkout_id(checkout_id) if isinstance(checkout_id, str) else None
    )
    if deposit is None:
        return WebhookOutcome.NOT_OURS, "no deposit of this shop made this order's checkout"
    request_id = order.get("request_id") if isinstance(order.get("request_id"), str) else None
    amount = format_minor(deposit.amount, deposit.currency)
    now = utcnow()
    if event_type == "order.paid":
        asked = (deposit.amount, deposit.currency, deposit.login)
        if (order.get("amount"), order.get("currency"), order.get("site_login")) != asked:
            repository.flag_deposit(
                deposit, "paid, but not the amount, currency or user this deposit asked for", now
            )
            return WebhookOutcome.MISMATCH, f"not credited: the order is not the {amount} asked"
        credited = repository.update_uncredited_deposit(
            deposit, now, status=DepositStatus.CREDITED, credited_at=now, request_id=request_id
        )
        if credited:
            return WebhookOutcome.CREDITED, f"credited {amount} to {deposit.login}"
        return WebhookOutcome.ALREADY_CREDITED, f"{amount} was credited before: nothing to do"
    if event_type in ("order.failed", "order.expired"):
        status = DepositStatus.FAILED if event_type == "order.failed" else DepositStatus.EXPIRED
        # A paid deposit stays paid; a failed one may still be paid by a retry on its checkout.
        if repository.update_uncredited_deposit(deposit, now, status=status, request_id=request_id):
            return WebhookOutcome.RECORDED, f"deposit of {amount} marked {status}"
        return WebhookOutcome.RECORDED, f"deposit of {amount} stays credited"
    if event_type == "order.flagged":
        note = f"the checkout flagged this payment for review (order status: {order.get('status')})"
        repository.flag_deposit(deposit, note, now)
        return WebhookOutcome.RECORDED, f"deposit of {amount} held for review"
    return WebhookOutcome.RECORDED, f"event type {event_type!r} needs nothing from the shop"

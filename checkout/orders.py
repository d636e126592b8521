"""The orders service: creating orders and every change of their state, in one place.

A state change is a compare-and-set in the database (`UPDATE ... WHERE status = :seen`),
so concurrent requests in any number of processes apply each change once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError

from checkout import metrics
from checkout.extensions import db
from checkout.gateway import Failure, GatewayClient, GatewayError, TokenAnswer, TokenRequest
from checkout.models import (
    REQUEST_ID_LENGTH,
    CallbackOutcome,
    Order,
    OrderStatus,
    utcnow,
)
from checkout.repository import orders as stored_orders
from checkout.repository import reload
from checkout.settlement import settle_checkout
from checkout.webhooks import outbox
from checkout.webhooks.models import EventType

log = structlog.get_logger(__name__)

MAX_TRANSITION_ATTEMPTS = 5


@dataclass(frozen=True)
class CheckoutDetails:
    """What the customer asked to pay, already validated (amount in minor units)."""

    amount: int
    currency: str
    method: str | None
    language: str
    bank_app: str | None
    site_login: str
    customer_type: str

    def matches(self, order: Order) -> bool:
        """Tell whether an existing order was created from these same details."""
        return all(getattr(order, name) == value for name, value in vars(self).items())


class SubmissionConflict(Exception):
    """A form's submission token was already used for an order with other details."""

    def __init__(self, order: Order) -> None:
        super().__init__(order.request_id)
        self.order = order


def get_order(request_id: str) -> Order | None:
    """Return the order with this request_id, or None."""
    if not fits_request_id(request_id):
        return None
    return stored_orders.find(request_id)


def fits_request_id(request_id: str) -> bool:
    """Tell whether a text could be a stored request_id: a longer one needs no query."""
    return len(request_id) <= REQUEST_ID_LENGTH


# The merchant hears of these changes (docs/webhooks.md); `pending` is no news to act on.
WEBHOOK_EVENTS = {
    OrderStatus.PAID: EventType.PAID,
    OrderStatus.FAILED: EventType.FAILED,
    OrderStatus.EXPIRED: EventType.EXPIRED,
}


def order_summary(request_id: str) -> dict[str, Any] | None:
    """Return the public status of an order, or None; cheap enough for frequent polling."""
    if not fits_request_id(request_id):
        return None
    return stored_orders.summary(request_id)


def create_order(details: CheckoutDetails, submission_key: str) -> tuple[Order, bool]:
    """Create the order for a submitted form, or return the one that form already made.

    The unique submission key (`checkout.submissions`: the form's token, bound to the
    poster's session) makes a double click, a back-button resubmit or a retry land on the
    same order, even when the copies race in different processes.

    :return: the order, and whether this call created it.
    :raise SubmissionConflict: when the key was used with different details.
    """
    try:
        order = stored_orders.insert_order(submission_token=submission_key, **vars(details))
    except IntegrityError:
        db.session.rollback()
    else:
        stored_orders.add_event(order, "created", to_status=OrderStatus.CREATED)
        db.session.commit()
        return order, True
    existing = stored_orders.find_by_submission(submission_key)
    if existing is None:  # pragma: no cover - the unique row cannot vanish
        raise RuntimeError("submission token conflict without an order")
    if not details.matches(existing):
        raise SubmissionConflict(existing)
    return existing, False


def request_payment(order: Order, client: GatewayClient, token_request: TokenRequest) -> None:
    """Ask the gateway for the order's payment key and record the answer.

    On success the order becomes pending with its key or redirect URL; on a gateway error
    it becomes failed with the reason stored, and the error is raised again for the page.

    :raise GatewayError: when the gateway gave no usable answer.
    """
    # The request holds no secret: the signature is added by the client when it posts.
    stored_orders.add_event(order, "token_requested", detail=token_request.fields())
    db.session.commit()
    try:
        with metrics.gateway_call():
            answer = client.obtain_token(token_request)
    except GatewayError as error:
        fail_token_request(order, error)
        raise
    except Exception as error:
        # A defect here or in a library must not leave the order in `created` and the
        # customer facing a 500: it ends as any gateway failure does, its traceback logged.
        log.exception("obtain_token_crashed", request_id=order.request_id)
        failure = GatewayError(f"gateway call failed: {type(error).__name__}", kind=Failure.CRASHED)
        fail_token_request(order, failure)
        raise failure from None
    record_token(order, answer)


def record_token(order: Order, answer: TokenAnswer) -> None:
    """Keep the payment key (or redirect) on any order still open, and commit.

    A `pending` callback may have arrived before obtain_token returned: the key belongs
    on the order all the same, or the payment page would wait for it until expiry.
    """
    move_open_order(
        order,
        OrderStatus.PENDING,
        kind="token_received",
        detail={"key": bool(answer.key), "redirect_url": answer.redirect_url},
        gateway_key=answer.key,
        redirect_url=answer.redirect_url,
    )


def fail_token_request(order: Order, error: GatewayError) -> None:
    """Mark an order failed because no payment key could be had, and say why.

    From any open state: a `pending` callback that came first must not leave the customer
    waiting for a key that will never come.
    """
    log.warning(
        "obtain_token_failed",
        request_id=order.request_id,
        reason=error.reason,
        kind=str(error.kind),
    )
    move_open_order(
        order,
        OrderStatus.FAILED,
        kind="token_failed",
        detail={"reason": error.reason},
        error=error.reason,
    )


def move_open_order(
    order: Order, new: OrderStatus, *, kind: str, detail: dict[str, Any], **values: Any
) -> None:
    """Move an order from whatever open state it is in to `new`, and commit.

    A final state is never overwritten: the news then only joins the order's timeline.
    """
    for _attempt in range(MAX_TRANSITION_ATTEMPTS):
        current = order.order_status
        if current.is_final:
            stored_orders.add_event(order, kind, detail=detail)
            db.session.commit()
            return
        if set_status(order, new, expected=current, kind=kind, detail=detail, **values):
            return
    raise RuntimeError(f"order {order.request_id} kept changing under {kind}")


def decide(
    current: OrderStatus, reported: OrderStatus
) -> tuple[OrderStatus | None, CallbackOutcome]:
    """Return the state an authentic callback moves an order to, and the outcome to record.

    `paid` is final; money received wins over an earlier fail or expiry; a report that
    repeats the current state changes nothing; a failure reported after paid is kept
    for review; other news about a closed order (a late `processing`) is kept on record
    but not applied.
    """
    if reported == current:
        return None, CallbackOutcome.DUPLICATE
    if reported == OrderStatus.PAID:
        return OrderStatus.PAID, CallbackOutcome.ACCEPTED
    if current == OrderStatus.PAID and reported.is_final:
        return None, CallbackOutcome.IGNORED_AFTER_PAID
    if current.is_final or reported == OrderStatus.CREATED:
        return None, CallbackOutcome.IGNORED_FINAL
    return reported, CallbackOutcome.ACCEPTED


def apply_gateway_status(
    order: Order, reported: OrderStatus, amount: int, currency: str, callback_id: int
) -> CallbackOutcome:
    """Apply what an authentic callback reports, at most once, and return the outcome.

    The change, and the merchant's webhook event, join the caller's transaction (the
    callback's record is committed with them). A callback whose amount or currency
    differs from the order's changes nothing and flags the order for review, as does a
    failure reported after the order was paid.
    """
    if (amount, currency) != (order.amount, order.currency):
        flag_for_review(
            order,
            f"callback {callback_id} reported {amount} {currency}, "
            f"order is {order.amount} {order.currency}",
        )
        return CallbackOutcome.AMOUNT_MISMATCH
    detail = {"callback_id": callback_id}
    for _attempt in range(MAX_TRANSITION_ATTEMPTS):
        current = order.order_status
        target, outcome = decide(current, reported)
        if target is None:
            if outcome == CallbackOutcome.IGNORED_AFTER_PAID:
                flag_for_review(order, f"callback {callback_id} reported {reported} after paid")
            return outcome
        values = {"paid_at": utcnow()} if target == OrderStatus.PAID else {}
        if compare_and_set(
            order, target, expected=current, kind="callback", detail=detail, **values
        ):
            if target == OrderStatus.PAID and not settle_checkout(order):
                flag_for_review(order, "paid after its checkout was paid by another order")
            return outcome
        # Another process moved the order between our read and our write: look again.
        reload(order)
    raise RuntimeError(f"order {order.request_id} kept changing under callback {callback_id}")


def flag_for_review(order: Order, reason: str) -> None:
    """Mark an order for a person to look at, and say why on its timeline.

    Joins the caller's transaction. The merchant's `order.flagged` goes out once per order,
    with the change that first flagged it: later findings only update the reason.
    """
    first = stored_orders.set_review_reason(order, reason)
    stored_orders.add_event(order, "flagged", detail={"reason": reason})
    if first:
        outbox.enqueue(order, EventType.FLAGGED)
    log.warning("order_flagged", request_id=order.request_id, reason=reason)


def set_status(
    order: Order,
    new: OrderStatus,
    *,
    expected: OrderStatus,
    kind: str,
    detail: dict[str, Any] | None = None,
    **values: Any,
) -> bool:
    """Move an order from `expected` to `new` if nobody else moved it first, and commit.

    :return: whether this call applied the change.
    """
    applied = compare_and_set(order, new, expected=expected, kind=kind, detail=detail, **values)
    db.session.commit()
    if not applied:
        reload(order)
    return applied


def compare_and_set(
    order: Order,
    new: OrderStatus,
    *,
    expected: OrderStatus,
    kind: str,
    detail: dict[str, Any] | None = None,
    **values: Any,
) -> bool:
    """Move an order from `expected` to `new` in the current transaction, if still expected.

    The database decides: of any number of concurrent callers, one sees its UPDATE match.

    :return: whether this call applied the change (the caller commits).
    """
    if not stored_orders.move(order, expected, status=new, **values):
        return False
    metrics.count_state_change(expected, new, order.created_at, order.updated_at)
    stored_orders.add_event(order, kind, from_status=expected, to_status=new, detail=detail)
    if new in WEBHOOK_EVENTS:
        outbox.enqueue(order, WEBHOOK_EVENTS[new])
    log.info(
        "order_state",
        request_id=order.request_id,
        kind=kind,
        from_status=str(expected),
        to_status=str(new),
    )
    return True

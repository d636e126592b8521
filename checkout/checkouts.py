"""The checkouts service: a merchant's checkout from creation to paid or expired.

Each change is a compare-and-set in the database, as for orders: starting a payment
requires the checkout still open (and holds its row while the order is inserted), a
checkout has at most one order under way (a partial unique index), and the first paid
order settles it (`checkout.settlement`). Expiry takes two short transactions — the
checkout, then its orders — so that it never holds a checkout's row while waiting for an
order's, the order in which a paying callback takes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from checkout import metrics
from checkout.checkout_input import CheckoutRequest
from checkout.extensions import db
from checkout.models import (
    REQUEST_ID_LENGTH,
    Checkout,
    CheckoutStatus,
    Order,
    OrderStatus,
    new_request_id,
    utcnow,
)
from checkout.orders import (
    CheckoutDetails,
    SubmissionConflict,
    get_order,
    set_status,
)
from checkout.repository import checkouts as stored_checkouts
from checkout.repository import orders as stored_orders
from checkout.repository import reload


class CheckoutClosed(Exception):
    """The checkout is paid or expired: it starts no payment."""


def create_checkout(request: CheckoutRequest, now: datetime | None = None) -> Checkout:
    """Insert a checkout (the caller commits, with its idempotency key); return it as inserted.

    The object is built here, every value chosen before the INSERT, and stays out of the
    session: the answer comes from what was written, with no flush and no read back.
    """
    created_at = now or utcnow()
    checkout = Checkout(
        public_id=new_request_id(),
        site_login=request.site_login,
        amount=request.amount,
        currency=request.currency,
        method=request.method,
        language=request.language,
        bank_app=request.bank_app,
        customer_type=request.customer_type,
        return_url=request.return_url,
        meta=request.metadata,
        status=CheckoutStatus.OPEN,
        paid_request_id=None,
        created_at=created_at,
        updated_at=created_at,
        expires_at=created_at + timedelta(seconds=request.expires_in),
        paid_at=None,
        orders=[],
    )
    stored_checkouts.insert_checkout(checkout)
    metrics.count_checkout_created()
    return checkout


def create_payment_link(request: CheckoutRequest) -> Checkout:
    """Create a checkout made by hand in the back office, and commit it."""
    checkout = create_checkout(request)
    db.session.commit()
    return checkout


def get_checkout(public_id: str) -> Checkout | None:
    """Return a checkout by its public id, expired first if its time is up; or None."""
    if len(public_id) > REQUEST_ID_LENGTH:
        return None
    checkout = stored_checkouts.find(public_id)
    if checkout is not None:
        expire_if_due(checkout)
    return checkout


def expire_if_due(checkout: Checkout, now: datetime | None = None) -> None:
    """Expire an open checkout whose time is up, so it reads `expired` everywhere."""
    if checkout.status == CheckoutStatus.OPEN and checkout.expires_at <= (now or utcnow()):
        expire_checkout(checkout)


def expire_checkout(checkout: Checkout) -> bool:
    """Expire an open checkout now, then the orders it still has under way.

    :return: whether this call expired it (False: it was paid or expired already).
    """
    expired = stored_checkouts.expire(checkout, utcnow())
    db.session.commit()
    if not expired:
        reload(checkout)  # paid or expired by another process: show what it did
    expire_live_orders(checkout)
    return expired


def expire_live_orders(checkout: Checkout) -> int:
    """Expire the orders under way of a closed checkout; return how many.

    Each goes through the orders service's compare-and-set, so one paid meanwhile stays paid.
    """
    expired = 0
    for order in live_orders(checkout):
        if set_status(
            order,
            OrderStatus.EXPIRED,
            expected=order.order_status,
            kind="checkout_expired",
            detail={"checkout_id": checkout.public_id},
        ):
            expired += 1
    if expired:
        reload(checkout)  # its orders list
    return expired


def live_orders(checkout: Checkout) -> list[Order]:
    """Return the checkout's orders still under way (at most one, by the unique index)."""
    return stored_orders.live_of_checkout(checkout.id)


def start_order(
    checkout: Checkout, details: CheckoutDetails, submission_key: str
) -> tuple[Order, bool]:
    """Create the checkout's next order, or return the one already under way.

    A double submit of one rendered page finds its own order by its submission key; two
    pages (two tabs) racing find the order the other one started.

    :return: the order, and whether this call created it.
    :raise CheckoutClosed: when the checkout is paid or expired.
    :raise SubmissionConflict: when the key was used with other details.
    """
    # The UPDATE holds the checkout's row until the order is committed, so an expiry or
    # another start waits its turn.
    if not stored_checkouts.hold_open(checkout, utcnow()):
        db.session.rollback()
        raise CheckoutClosed(checkout.public_id)
    try:
        order = stored_orders.insert_order(
            submission_token=submission_key, checkout_id=checkout.id, **vars(details)
        )
    except IntegrityError:
        db.session.rollback()
        return existing_order(checkout, details, submission_key), False
    stored_orders.add_event(
        order, "created", to_status=OrderStatus.CREATED, detail={"checkout": checkout.public_id}
    )
    db.session.commit()
    return order, True


def existing_order(checkout: Checkout, details: CheckoutDetails, submission_key: str) -> Order:
    """Return the order that kept a new one from being inserted.

    :raise SubmissionConflict: the same page was posted before with other details.
    :raise CheckoutClosed: the order under way finished in the meantime and settled it.
    """
    same_page = stored_orders.find_by_submission(submission_key)
    if same_page is not None:
        if same_page.checkout_id != checkout.id or not details.matches(same_page):
            raise SubmissionConflict(same_page)
        return same_page
    live = live_orders(checkout)
    if live:
        return live[0]
    reload(checkout)
    raise CheckoutClosed(checkout.public_id)


def expire_due_checkouts(now: datetime | None = None) -> int:
    """Expire every open checkout whose time is up, and finish expiring the orders of
    checkouts that closed while an order was still under way; return how many expired."""
    due = stored_checkouts.open_and_due(now or utcnow())
    expired = sum(expire_checkout(checkout) for checkout in due)
    # A process stopped between the two steps of an expiry leaves such orders behind.
    for checkout in stored_checkouts.expired_with_live_orders():
        expire_live_orders(checkout)
    return expired


def current_order(request_id: str) -> Order | None:
    """Return an order as it stands now: expired with its checkout if that one's time is up."""
    order = get_order(request_id)
    if order is not None and order.checkout is not None:
        expire_if_due(order.checkout)
        reload(order)
    return order

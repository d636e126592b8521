"""A checkout is settled by the first of its orders to be paid, and by no other.

Kept apart from the checkouts service so that the orders service can call it from inside
the transaction that marks an order paid, without the two services importing each other.
"""

from __future__ import annotations

from sqlalchemy import bindparam, update

from checkout.extensions import db
from checkout.models import Checkout, CheckoutStatus, Order, utcnow

# Compare-and-set: of any number of orders paid at once, one finds paid_request_id empty.
SETTLE_CHECKOUT = update(Checkout.__table__).where(
    Checkout.id == bindparam("match_id"), Checkout.paid_request_id.is_(None)
)


def settle_checkout(order: Order) -> bool:
    """Mark the order's checkout paid by this order, in the caller's transaction.

    A checkout that expired is paid all the same: money received wins, as for orders.

    :return: False when another order had already paid the checkout (the caller flags
        this one for review); True otherwise, also for an order of the open form.
    """
    if order.checkout_id is None:
        return True
    now = utcnow()
    result = db.session.connection().execute(
        SETTLE_CHECKOUT,
        {
            "match_id": order.checkout_id,
            "status": CheckoutStatus.PAID,
            "paid_request_id": order.request_id,
            "paid_at": now,
            "updated_at": now,
        },
    )
    return result.rowcount == 1

"""A checkout is settled by the first of its orders to be paid, and by no other.

Kept apart from the checkouts service so that the orders service can call it from inside
the transaction that marks an order paid, without the two services importing each other.
"""

from __future__ import annotations

from checkout.models import Order, utcnow
from checkout.repository import checkouts as stored_checkouts


def settle_checkout(order: Order) -> bool:
    """Mark the order's checkout paid by this order, in the caller's transaction.

    A checkout that expired is paid all the same: money received wins, as for orders.

    :return: False when another order had already paid the checkout (the caller flags
        this one for review); True otherwise, also for an order of the open form.
    """
    if order.checkout_id is None:
        return True
    # Compare-and-set: of any number of orders paid at once, one finds the checkout unpaid.
    return stored_checkouts.settle(order.checkout_id, order.request_id, utcnow())

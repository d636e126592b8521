"""Things that happen to orders, for code that must react to them (fulfilment, e-mail)."""

from __future__ import annotations

from blinker import Namespace
from flask import Flask

from checkout.models import Order

signals = Namespace()

#: Sent once per order, after the commit that marked it paid. Receivers get `order=`.
order_paid = signals.signal("order-paid")


def log_order_paid(app: Flask, order: Order) -> None:
    """Say in the log that an order was paid: the place where fulfilment would start."""
    app.logger.info(
        "event=order_paid request_id=%s amount=%s currency=%s",
        order.request_id,
        order.amount,
        order.currency,
    )


def init_app(app: Flask) -> None:
    order_paid.connect(log_order_paid, sender=app)

"""What operators watch: Prometheus metrics of requests, callbacks, orders and the gateway.

Counters and histograms live in `prometheus_client`'s default registry. Under gunicorn,
gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR before any worker imports this module, so
each worker writes its values to files there and `/metrics` (`checkout.metrics_views`)
sums them over every worker, the dead ones included. Gauges that describe the database
rather than a process (orders stuck pending) are computed at scrape time instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask, g, request
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from checkout.extensions import db
from checkout.gateway import Failure, GatewayError
from checkout.models import Order, OrderStatus, utcnow
from checkout.signals import StateChange, order_changed

# Decided once, as prometheus_client decided when it was imported (just above): whether
# values go to per-process files that /metrics must sum.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

# Every label takes few values: an endpoint name (never a raw path, which a sender
# chooses), a method from this list, an outcome or status from our own enums.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ENDPOINT = "unmatched"

REQUESTS = Counter(
    "checkout_http_requests",
    "HTTP requests answered, by endpoint, method and status code.",
    ["endpoint", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "checkout_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CALLBACKS = Counter(
    "checkout_callbacks",
    "Gateway callbacks received, by the outcome stored on their record.",
    ["outcome"],
)
TRANSITIONS = Counter(
    "checkout_order_transitions",
    "Committed changes of an order's state, by the state left and the state reached.",
    ["from_status", "to_status"],
)
TIME_TO_PAID = Histogram(
    "checkout_order_time_to_paid_seconds",
    "Time from an order's creation to the commit that marked it paid.",
    buckets=(10, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 24 * 3600),
)
GATEWAY_SECONDS = Histogram(
    "checkout_gateway_obtain_token_duration_seconds",
    "Time of each obtain_token call to the gateway, failed ones included.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20),
)
GATEWAY_FAILURES = Counter(
    "checkout_gateway_obtain_token_failures",
    "obtain_token calls that gave no usable answer, by kind of failure.",
    ["kind"],
)


def start_request() -> None:
    g.metrics_started = time.perf_counter()


def count_request(response: Response) -> Response:
    """Count the request under its endpoint's name and time it."""
    endpoint = request.endpoint or UNMATCHED_ENDPOINT
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    started = g.get("metrics_started")
    if started is not None:
        REQUEST_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
    return response


def count_callback(outcome: str) -> None:
    """Count a callback once its outcome is committed to its record."""
    CALLBACKS.labels(outcome).inc()


def count_state_change(app: Flask, change: StateChange) -> None:
    """Count a committed change of state; time the way to `paid`."""
    TRANSITIONS.labels(change.from_status, change.to_status).inc()
    if change.to_status == OrderStatus.PAID:
        TIME_TO_PAID.observe((change.changed_at - change.created_at).total_seconds())


@contextmanager
def gateway_call() -> Iterator[None]:
    """Time an obtain_token call, and count its failure by kind if it fails."""
    started = time.perf_counter()
    try:
        yield
    except GatewayError as error:
        GATEWAY_FAILURES.labels(error.kind).inc()
        raise
    except Exception:
        GATEWAY_FAILURES.labels(Failure.CRASHED).inc()
        raise
    finally:
        GATEWAY_SECONDS.observe(time.perf_counter() - started)


def scrape_time_metrics(pending_expiry: timedelta) -> list[GaugeMetricFamily]:
    """Return the gauges read from the database when Prometheus scrapes.

    One indexed count: orders still pending after the time a customer has to pay. A
    number above zero that stays means `flask orders expire` is not running, or the
    gateway stopped sending callbacks.
    """
    cutoff = utcnow() - pending_expiry
    stuck = db.session.scalar(
        select(func.count())
        .select_from(Order)
        .where(Order.status == OrderStatus.PENDING, Order.created_at < cutoff)
    )
    gauge = GaugeMetricFamily(
        "checkout_orders_pending_past_expiry",
        "Orders still pending longer than PENDING_EXPIRY_SECONDS after their creation.",
    )
    gauge.add_metric([], stuck)
    return [gauge]


def init_app(app: Flask) -> None:
    """Measure every request and every committed change of an order's state."""
    app.before_request(start_request)
    app.after_request(count_request)
    order_changed.connect(count_state_change, sender=app)

"""What operators watch: Prometheus metrics of requests, callbacks, orders and the gateway.

Counters and histograms live in `prometheus_client`'s default registry. Under gunicorn,
gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR before any worker imports this module, so
each worker writes its values to files there and `/metrics` (`checkout.metrics_views`)
sums them over every worker, the dead ones included. What describes the database rather
than a process (orders stuck pending, the webhook outbox, which workers outside gunicorn
fill) is read at scrape time instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import Flask, g, request
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from checkout.extensions import db
from checkout.gateway import Failure, GatewayError
from checkout.models import OrderStatus, utcnow
from checkout.repository import orders as stored_orders
from checkout.webhooks import repository as outbox_repository

# Decided once, as prometheus_client decided when it was imported (just above): whether
# values go to per-process files that /metrics must sum.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

# Counts of what the session's transaction did, made when (if) it commits.
UNCOMMITTED_COUNTS = "metrics_uncommitted_counts"

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
CHECKOUTS_CREATED = Counter(
    "checkout_checkouts_created",
    "Checkouts created (Checkouts API or back office), counted when committed.",
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


def count_state_change(
    from_status: str, to_status: str, created_at: datetime, changed_at: datetime
) -> None:
    """Count a change of an order's state, and time the way to `paid`, once it commits."""
    labels = (str(from_status), str(to_status))
    after_commit(lambda: TRANSITIONS.labels(*labels).inc())
    if to_status == OrderStatus.PAID:
        paid_after = (changed_at - created_at).total_seconds()
        after_commit(lambda: TIME_TO_PAID.observe(paid_after))


def count_checkout_created() -> None:
    """Count a checkout created by the merchant's server or by hand, once it commits."""
    after_commit(CHECKOUTS_CREATED.inc)


def after_commit(count: Callable[[], None]) -> None:
    """Count once the session's transaction commits; never if it rolls back.

    A callback whose processing failed is delivered again: its change is counted once.
    """
    db.session.info.setdefault(UNCOMMITTED_COUNTS, []).append(count)


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for count in session.info.pop(UNCOMMITTED_COUNTS, []):
        count()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(UNCOMMITTED_COUNTS, None)


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


# Attempts by result over the last RECENT, read from the database rather than counted in a
# process: workers run outside gunicorn, on any machine, and every attempt they make is stored.
RECENT = timedelta(minutes=15)


def scrape_time_metrics(pending_expiry: timedelta) -> list[GaugeMetricFamily]:
    """Return the gauges read from the database when Prometheus scrapes: three indexed queries.

    Orders still pending after the time a customer has to pay: a number above zero that
    stays means the housekeeping (the webhook workers) is not running, or the gateway
    stopped sending callbacks. Webhook events not yet delivered nor given up, and how long
    the oldest has waited: a growing age means the merchant's server or our workers are down.
    Attempts of the last minutes by result, whichever worker or machine made them.
    """
    now = utcnow()
    stuck = stored_orders.count_pending_created_before(now - pending_expiry)
    # Attempts before the backlog: a worker stores an attempt and its event's new state in
    # one commit, so an attempt this scrape sees has its event out of the backlog too. The
    # other order could show a delivered attempt whose event still waits.
    counts = outbox_repository.attempts_since(now - RECENT)
    backlog, oldest = outbox_repository.backlog()
    attempts = GaugeMetricFamily(
        "checkout_webhook_attempts_recent",
        "Attempts to deliver a webhook in the last 15 minutes, by result: delivered (a 2xx "
        "answer) or failed (anything else). Read from the attempts every worker stores.",
        labels=["result"],
    )
    for result, count in counts.items():
        attempts.add_metric([result], count)
    return [
        attempts,
        _gauge(
            "checkout_orders_pending_past_expiry",
            "Orders still pending longer than ORDERS_EXPIRE_AFTER after their creation.",
            stuck,
        ),
        _gauge(
            "checkout_webhook_backlog",
            "Webhook events neither delivered nor given up (due now or waiting to retry).",
            backlog,
        ),
        _gauge(
            "checkout_webhook_oldest_pending_age_seconds",
            "Age of the oldest webhook event neither delivered nor given up (0 when none).",
            (now - oldest).total_seconds() if oldest else 0.0,
        ),
    ]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge


def init_app(app: Flask) -> None:
    """Measure every request."""
    app.before_request(start_request)
    app.after_request(count_request)

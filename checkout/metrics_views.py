"""`GET /metrics`: the Prometheus exposition, for whoever holds METRICS_TOKEN.

Unset, the page does not exist (404): metrics name endpoints, outcomes and volumes, which
are nobody else's business. The token travels as `Authorization: Bearer …` and is compared
in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from flask import Blueprint, Flask, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from werkzeug.wrappers import Response

from checkout import metrics
from checkout.commands import parse_duration
from checkout.security import no_store

bp = Blueprint("metrics", __name__)


class _Collected(Collector):
    """A collector that yields metrics gathered beforehand, to add them to a registry."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


def authorized(token: str) -> bool:
    """Tell whether the request carries `Authorization: Bearer <token>`."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # compare_digest on bytes: a str with non-ASCII characters would raise instead.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def exposition() -> bytes:
    """Render every metric: those of all worker processes, then those read at scrape time."""
    registry = CollectorRegistry()
    if metrics.MULTIPROCESS:
        MultiProcessCollector(registry)
    else:
        registry.register(_Collected(REGISTRY.collect()))
    expiry = parse_duration(current_app.config["ORDERS_EXPIRE_AFTER"])
    registry.register(_Collected(metrics.scrape_time_metrics(expiry)))
    return generate_latest(registry)


@bp.get("/metrics")
def scrape() -> Response:
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    if not authorized(token):
        response = Response("metrics need Authorization: Bearer <METRICS_TOKEN>\n", 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return no_store(Response(exposition(), content_type=CONTENT_TYPE_LATEST))


def init_app(app: Flask) -> None:
    metrics.init_app(app)
    app.register_blueprint(bp)

"""One delivery attempt: claim a due event, sign it, POST it, record what came of it."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import structlog
from flask import current_app

from checkout import logs
from checkout.models import utcnow
from checkout.webhooks import outbox, signing
from checkout.webhooks.client import DeliveryClient
from checkout.webhooks.models import DeliveryState

# Retries wait up to this much longer than scheduled, so that events which failed together
# (the merchant was down) do not all come back in the same second.
JITTER = 0.1

log = structlog.get_logger(__name__)


def retry_delays(values: Iterable[Any]) -> list[float]:
    """Read WEBHOOK_RETRY_DELAYS: seconds to wait before each retry.

    :raise ValueError: for a value that is not a number of seconds ≥ 0.
    """
    delays = []
    for value in values:
        try:
            delay = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a number of seconds") from None
        if not 0 <= delay < 10**7:
            raise ValueError(f"{value!r} is not a number of seconds from 0 to 10,000,000")
        delays.append(delay)
    return delays


def next_attempt_at(
    attempts_made: int, delays: list[float], now: datetime, rng: random.Random
) -> datetime | None:
    """Return when to try again after `attempts_made` attempts failed, or None: give up.

    The first attempt goes at once; then one retry after each delay, a little later at random.
    """
    if attempts_made > len(delays):
        return None
    delay = delays[attempts_made - 1]
    return now + timedelta(seconds=delay * (1 + rng.uniform(0, JITTER)))


def client_for(config: Mapping[str, Any]) -> DeliveryClient:
    """Return a delivery client with the configured time-outs."""
    return DeliveryClient(config["WEBHOOK_CONNECT_TIMEOUT"], config["WEBHOOK_TIMEOUT"])


def deliver_due(
    client: DeliveryClient, worker: str, rng: random.Random, stop: threading.Event
) -> int:
    """Make every due attempt, a batch at a time, until none is due or `stop` is set;
    return how many were made.

    Runs inside an app context. Each claim is committed before its POSTs, so no transaction
    is held open while the merchant's server answers; a batch's attempts are recorded in
    the transaction that claims the next batch: one commit per batch, not two per event.
    """
    config = current_app.config
    lease = timedelta(seconds=config["WEBHOOK_CLAIM_LEASE"])
    batch = config["WEBHOOK_CLAIM_BATCH"]
    made: list[outbox.Attempt] = []
    unmade: list[outbox.Claim] = []
    total = 0
    while True:
        limit = 0 if stop.is_set() else batch
        claims = outbox.claim_next(worker, lease, limit, made=made, unmade=unmade)
        if not claims:
            return total
        made, unmade = attempt_claims(client, claims, worker, rng, stop)
        total += len(made)


def attempt_claims(
    client: DeliveryClient,
    claims: list[outbox.Claim],
    worker: str,
    rng: random.Random,
    stop: threading.Event,
) -> tuple[list[outbox.Attempt], list[outbox.Claim]]:
    """Attempt the claimed events in turn; return the attempts made and the claims left.

    An attempt starts only while its whole time-out fits in what is left of the lease, so
    no attempt outlives its claim; a stop request leaves the rest for later.
    """
    timeout = timedelta(seconds=current_app.config["WEBHOOK_TIMEOUT"])
    made: list[outbox.Attempt] = []
    for index, claim in enumerate(claims):
        if stop.is_set() or utcnow() + timeout > claim.until:
            return made, claims[index:]
        # The request's id when a request delivers in-process (development), else the attempt's own.
        attempt_id = logs.current_request_id() or logs.new_request_id()
        with structlog.contextvars.bound_contextvars(http_request_id=attempt_id):
            made.append(_attempt(client, claim, worker, rng, attempt_id))
    return made, []


def _attempt(
    client: DeliveryClient, claim: outbox.Claim, worker: str, rng: random.Random, attempt_id: str
) -> outbox.Attempt:
    config = current_app.config
    started_at = utcnow()
    headers = signing.headers(
        config["MERCHANT_WEBHOOK_SECRET"], claim.webhook_id, claim.payload, started_at
    )
    answer = client.post(config["MERCHANT_WEBHOOK_URL"], claim.payload, headers)
    attempts_made = claim.attempts + 1
    retry_at = None
    if not answer.delivered:
        delays = retry_delays(config["WEBHOOK_RETRY_DELAYS"])
        retry_at = next_attempt_at(attempts_made, delays, utcnow(), rng)
    attempt = outbox.Attempt(
        claim,
        answer,
        started_at=started_at,
        worker=worker,
        next_attempt_at=retry_at,
        http_request_id=attempt_id,
    )
    (log.info if answer.delivered else log.warning)(
        "webhook_attempt",
        webhook_id=claim.webhook_id,
        attempt=attempts_made,
        status=answer.status_code,
        duration_ms=answer.duration_ms,
        state=str(attempt.state),
        error=answer.error,
    )
    if attempt.state == DeliveryState.FAILED:
        log.error("webhook_failed", webhook_id=claim.webhook_id, attempts=attempts_made)
    return attempt

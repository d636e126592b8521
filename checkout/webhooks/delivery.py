"""One delivery attempt: claim a due event, sign it, POST it, record what came of it."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from checkout.models import utcnow
from checkout.webhooks import outbox, signing
from checkout.webhooks.client import DeliveryClient
from checkout.webhooks.models import DeliveryState

# Retries wait up to this much longer than scheduled, so that events which failed together
# (the merchant was down) do not all come back in the same second.
JITTER = 0.1


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


def deliver_next(client: DeliveryClient, worker: str, rng: random.Random) -> bool:
    """Make the next due attempt, if any, and record it; return whether there was one.

    Runs inside an app context. The claim is committed before the POST, so no transaction
    is held open while the merchant's server answers.
    """
    config = current_app.config
    lease = timedelta(seconds=config["WEBHOOK_CLAIM_LEASE"])
    claim = outbox.claim_next(worker, lease)
    if claim is None:
        return False
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
    state = outbox.record_attempt(
        claim, answer, started_at=started_at, worker=worker, next_attempt_at=retry_at
    )
    log = current_app.logger.info if answer.delivered else current_app.logger.warning
    log(
        "event=webhook_attempt webhook_id=%s attempt=%d status=%s duration_ms=%d state=%s%s",
        claim.webhook_id,
        attempts_made,
        answer.status_code if answer.status_code is not None else "-",
        answer.duration_ms,
        state,
        " error=" + repr(answer.error) if answer.error else "",
    )
    if state == DeliveryState.FAILED:
        current_app.logger.error(
            "event=webhook_failed webhook_id=%s attempts=%d", claim.webhook_id, attempts_made
        )
    return True

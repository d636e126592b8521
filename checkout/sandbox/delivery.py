"""Server-to-server callback delivery, retried with exponential backoff like a real gateway."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

logger = logging.getLogger("checkout.sandbox.delivery")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to deliver: `tries` attempts, delays doubling from `base`."""

    tries: int = 6
    base_delay: float = 1.0
    timeout: float = 10.0

    def delay_before(self, attempt: int) -> float:
        """Return the pause before attempt number `attempt` (1-based; none before the first)."""
        return 0.0 if attempt <= 1 else self.base_delay * 2 ** (attempt - 2)


def deliver(
    url: str,
    fields: dict[str, Any],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """POST a signed callback until the merchant answers 200 or the tries run out.

    :return: whether the merchant acknowledged it.
    """
    for attempt in range(1, policy.tries + 1):
        sleep(policy.delay_before(attempt))
        try:
            response = requests.post(url, json=fields, timeout=policy.timeout)
            outcome = f"HTTP {response.status_code}"
            acknowledged = response.status_code == 200
        except requests.RequestException as error:
            outcome = type(error).__name__
            acknowledged = False
        logger.info(
            "sandbox callback request_id=%s try %d/%d to %s: %s",
            fields.get("request_id"),
            attempt,
            policy.tries,
            url,
            outcome,
        )
        if acknowledged:
            return True
    logger.warning("sandbox callback request_id=%s gave up", fields.get("request_id"))
    return False


def deliver_in_background(
    url: str, fields: dict[str, Any], policy: RetryPolicy
) -> threading.Thread:
    """Start delivering a callback on a daemon thread, so the customer is not kept waiting."""
    thread = threading.Thread(
        target=deliver, args=(url, fields, policy), name="sandbox-callback", daemon=True
    )
    thread.start()
    return thread

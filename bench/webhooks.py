"""Webhook delivery's yardstick: a bare loop posting signed events to a local receiver.

Usage: `.venv/bin/python -m bench.webhooks [--events 2000] [--rounds 3]`

Serves `receiver` (below) with gunicorn on loopback (gthread workers, which keep
connections open), then posts the same Standard Webhooks signed bodies (DESIGN §8.2) from
one pooled `requests.Session`, one at a time, as one delivery worker would: events/s is
the ceiling a `flask webhooks worker` (issue #15) is compared with (target: ≥ 0.7 of it).
The receiver verifies every signature, so the loop's bodies and headers are the real ones.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import importlib.util
import json
import secrets
import statistics
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import requests

from bench.run import SERVINGS, gunicorn

SECRET = "whsec_" + base64.b64encode(b"bench-webhook-secret-32-bytes!!!").decode()


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """Return the `webhook-signature` value: `v1,` and base64 HMAC-SHA256 of id.timestamp.body."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_events(count: int, secret: str = SECRET) -> list[tuple[bytes, dict[str, str]]]:
    """Return `count` order.paid events as (body, headers), each with its own webhook-id."""
    now = datetime.now(UTC)
    events = []
    for _ in range(count):
        request_id = secrets.token_hex(13)
        body = json.dumps(
            {
                "type": "order.paid",
                "timestamp": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "data": {
                    "request_id": request_id,
                    "checkout_id": None,
                    "status": "paid",
                    "amount": 9000,
                    "currency": "KZT",
                    "site_login": "bench",
                    "method": "card",
                    "metadata": {"user": 42},
                    "created_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                    "paid_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                },
            }
        ).encode()
        webhook_id = "msg_" + secrets.token_urlsafe(16)
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, webhook_id, timestamp, body),
        }
        events.append((body, headers))
    return events


def receiver(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
    """A merchant's receiver at its barest: verify the signature, answer 204 (or 400)."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    webhook_id = environ.get("HTTP_WEBHOOK_ID", "")
    timestamp = environ.get("HTTP_WEBHOOK_TIMESTAMP", "")
    given = environ.get("HTTP_WEBHOOK_SIGNATURE", "")
    valid = timestamp.isdigit() and any(
        hmac.compare_digest(candidate, signature(SECRET, webhook_id, int(timestamp), body))
        for candidate in given.split()
    )
    start_response("204 No Content" if valid else "400 Bad Request", [])
    return [b""]


def bare_loop(url: str, events: list[tuple[bytes, dict[str, str]]]) -> tuple[float, int]:
    """Post every event once, in order, on one pooled session; return events/s and failures."""
    failures = 0
    with requests.Session() as session:
        started = time.perf_counter()
        for body, headers in events:
            # As the worker must: a redirect is a failed attempt, never followed.
            answer = session.post(
                url, data=body, headers=headers, timeout=10, allow_redirects=False
            )
            failures += not 200 <= answer.status_code < 300
        elapsed = time.perf_counter() - started
    return len(events) / elapsed, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    events = signed_events(args.events)
    # gthread: sync workers close every connection, and the pooled session would not pool.
    with gunicorn("bench.webhooks:receiver", {}, SERVINGS["gthread"]) as base:
        bare_loop(base + "/", events[:200])  # warm up: connections, imports
        rates = []
        for _ in range(args.rounds):
            rate, failures = bare_loop(base + "/", events)
            if failures:
                raise SystemExit(f"the receiver refused {failures} events")
            rates.append(rate)
    print(
        f"bare loop, one pooled session → receiver (2 gthread workers × 4): "
        f"{statistics.median(rates):.0f} events/s (rounds: {' '.join(f'{r:.0f}' for r in rates)})"
    )
    if importlib.util.find_spec("checkout.webhooks") is None:
        print("webhook worker: not on this branch yet (issue #15); compare it with this figure")
    else:
        print("webhook worker: on this branch, but its run is not wired here yet (issue #17)")


if __name__ == "__main__":
    main()

"""Webhook delivery: one worker's events/s against a bare loop posting the same signed bodies.

Usage: `.venv/bin/python -m bench.webhooks [--engine sqlite|postgresql] [--events 1000]
[--rounds 3]` (PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL; its tables are
dropped and rebuilt).

Serves `receiver` (below) with gunicorn on loopback: gthread workers, which keep the
senders' connections open, verifying every signature with the Standard Webhooks library
and answering 204. Each round writes `--events` order.paid events through the outbox to a
fresh database, then:

1. the bare loop posts the events' stored bodies, signed beforehand, one at a time from
   one pooled `requests.Session`: the ceiling of one sender;
2. one worker (`Worker.run`, the loop `flask webhooks worker` runs) delivers the same
   events, claiming, signing and recording each attempt.

It prints both rates and their ratio per round (issue #17: the worker ≥ 0.7 of the loop),
and the CPU time this process spent per event in each: the part of the ratio that a busy
machine does not move. `--profile` adds a pyinstrument profile of one worker round.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from pyinstrument import Profiler
from sqlalchemy import func, select
from standardwebhooks import Webhook, WebhookVerificationError

from app import create_app
from bench.run import SERVINGS, gunicorn
from checkout.extensions import db
from checkout.models import Order, utcnow
from checkout.webhooks import outbox, signing
from checkout.webhooks.models import DeliveryState, EventType, WebhookEvent
from checkout.webhooks.worker import Worker
from config import TestingConfig

SECRET = "whsec_" + base64.b64encode(b"bench-webhook-secret-32-bytes!!!").decode()
RECEIVER_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def receiver(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
    """A merchant's receiver at its barest: verify the signature, answer 204 (or 400)."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    headers = {
        name: environ.get("HTTP_" + name.upper().replace("-", "_"), "") for name in RECEIVER_HEADERS
    }
    try:
        Webhook(SECRET).verify(body, headers)
        status = "204 No Content"
    except WebhookVerificationError:
        status = "400 Bad Request"
    start_response(status, [("Content-Length", "0")])
    return [b""]


def make_app(url: str, receiver_url: str) -> Flask:
    """Return the checkout on `url`, sending webhooks to `receiver_url`, logging to nowhere."""
    app = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "MERCHANT_WEBHOOK_URL": receiver_url,
            "MERCHANT_WEBHOOK_SECRET": SECRET,
        },
    )
    # One line per attempt, as production writes it, but not to this terminal.
    sink = open(os.devnull, "w")  # lives as long as the process
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)
    return app


def fresh_events(app: Flask, count: int) -> list[tuple[bytes, dict[str, str]]]:
    """Write `count` order.paid events to an empty outbox; return their bodies, signed."""
    with app.app_context():
        db.drop_all()
        db.create_all()
        orders = [
            Order(
                submission_token=secrets.token_hex(16),
                amount=9000,
                currency="KZT",
                method="card",
                language="EN",
                site_login="bench",
                customer_type="regular",
                status="paid",
                paid_at=utcnow(),
            )
            for _ in range(count)
        ]
        db.session.add_all(orders)
        db.session.flush()
        for order in orders:
            outbox.enqueue(order, EventType.PAID)
        db.session.commit()
        stored = db.session.execute(select(WebhookEvent.webhook_id, WebhookEvent.payload)).all()
        db.session.rollback()  # end the read: the worker claims these rows next
    now = utcnow()
    return [
        (
            payload.encode(),
            {"Content-Type": "application/json", **signing.headers(SECRET, wid, payload, now)},
        )
        for wid, payload in stored
    ]


def bare_loop(url: str, events: list[tuple[bytes, dict[str, str]]]) -> tuple[float, float]:
    """Post every event once, in order, on one pooled session; return events/s and the
    CPU seconds per event."""
    with requests.Session() as session:
        started, cpu = time.perf_counter(), time.process_time()
        for body, headers in events:
            # As the worker must: a redirect is a failed attempt, never followed.
            answer = session.post(
                url, data=body, headers=headers, timeout=10, allow_redirects=False
            )
            if answer.status_code != 204:
                raise SystemExit(f"the receiver answered {answer.status_code}")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(events) / elapsed, cpu / len(events)


def worker_run(app: Flask, count: int, profiler: Profiler | None = None) -> tuple[float, float]:
    """Let one worker deliver every due event; return events/s and CPU seconds per event."""
    worker = Worker(app, "bench")
    if profiler:
        profiler.start()
    started, cpu = time.perf_counter(), time.process_time()
    worker.run(burst=True)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler:
        profiler.stop()
    with app.app_context():
        delivered = db.session.scalar(
            select(func.count()).where(WebhookEvent.state == DeliveryState.DELIVERED)
        )
        db.session.rollback()
    if delivered != count:
        raise SystemExit(f"the worker delivered {delivered} of {count} events")
    return count / elapsed, cpu / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--events", type=int, default=1000, help="events per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile the last worker round")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    pg_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if args.engine == "postgresql" and not pg_url:
        raise SystemExit("PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL")
    rounds = []
    with (
        tempfile.TemporaryDirectory() as scratch,
        gunicorn("bench.webhooks:receiver", {}, SERVINGS["gthread"]) as base,
    ):
        url = pg_url if args.engine == "postgresql" else f"sqlite:///{scratch}/hooks.sqlite3"
        app = make_app(url, base + "/hooks")
        bare_loop(base + "/hooks", fresh_events(app, 100))  # warm up: imports, connections
        worker_run(app, 100)
        profiler = Profiler(interval=0.0002) if args.profile else None
        for number in range(args.rounds):
            events = fresh_events(app, args.events)
            bare = bare_loop(base + "/hooks", events)
            last = number == args.rounds - 1
            rounds.append((bare, worker_run(app, args.events, profiler if last else None)))
        with app.app_context():
            db.drop_all()
            db.engine.dispose()
    ratios = [worker[0] / bare[0] for bare, worker in rounds]
    cpu_ratios = [bare[1] / worker[1] for bare, worker in rounds]
    print(
        f"{args.engine}, {args.events} events × {args.rounds} rounds, receiver: 2 gthread "
        f"workers × 4 threads\n"
        f"  bare loop  {statistics.median(r[0][0] for r in rounds):>6.0f} events/s, "
        f"{statistics.median(r[0][1] for r in rounds) * 1e6:>5.0f} µs of CPU per event\n"
        f"  worker     {statistics.median(r[1][0] for r in rounds):>6.0f} events/s, "
        f"{statistics.median(r[1][1] for r in rounds) * 1e6:>5.0f} µs of CPU per event\n"
        f"  × bare loop {statistics.median(ratios):.2f} "
        f"({min(ratios):.2f}–{max(ratios):.2f}; target ≥ 0.7); in CPU per event "
        f"{statistics.median(cpu_ratios):.2f} ({min(cpu_ratios):.2f}–{max(cpu_ratios):.2f})"
    )
    if profiler:
        print(profiler.output_text(unicode=True, color=False))
    if args.json:
        figures = {
            "engine": args.engine,
            "bare_events_per_s": statistics.median(r[0][0] for r in rounds),
            "worker_events_per_s": statistics.median(r[1][0] for r in rounds),
            "x_bare": [statistics.median(ratios), min(ratios), max(ratios)],
            "x_bare_cpu": [statistics.median(cpu_ratios), min(cpu_ratios), max(cpu_ratios)],
        }
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()

"""CPU per request, in-process, the checkout against its lean reference: every endpoint.

Usage: `.venv/bin/python -m bench.cpu [--engine sqlite|postgresql|both] [--requests 500]
[--rounds 5] [--endpoints NAME ...]` (PostgreSQL needs BENCH_DATABASE_URL or
TEST_DATABASE_URL; its tables are dropped and rebuilt).

wrk's figures move with whatever else the machine runs; the CPU time a request costs the
process serving it hardly does. So this calls each app's WSGI callable directly, as gunicorn
would (a prebuilt environ, a fresh body stream, the answer read whole), with the checkout in
its production configuration writing its log lines to /dev/null and its metrics to files
(prometheus_client's multiprocess mode, as under gunicorn.conf.py), and measures CPU time
(`time.process_time`) and wall time per request. Each round runs lean then checkout; a
figure is the median of the rounds. "× lean" is lean's CPU per request over the
checkout's: the share of the lean app's throughput the checkout would reach if both were
bound by their own CPU, which is what a served ratio approaches on a busy machine. Wall
time also counts waiting for the database (PostgreSQL's round trips and commits).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.test import EnvironBuilder

from bench.run import API_KEY, APP_ENV, TARGETS, prepare_database

WARM_UP = 50


@dataclass(frozen=True)
class Figure:
    """An app's median CPU and wall time per request, in µs, and its statuses."""

    cpu_us: float
    wall_us: float
    statuses: frozenset[int]


def make_apps(url: str) -> dict[str, Flask]:
    """Return the lean reference and the checkout (production settings) on `url`."""
    os.environ["DATABASE_URL"] = url  # the lean app's setting
    from app import create_app
    from bench import lean
    from config import ProductionConfig

    checkout = create_app(ProductionConfig, {"SQLALCHEMY_DATABASE_URI": url})
    # As served: every line rendered and written, to a file nobody reads.
    sink = open(os.devnull, "w")  # lives as long as the process
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)
    return {"lean": lean.create_app(), "checkout": checkout}


def environ_for(method: str, path: str, body: dict | None = None, **headers: str) -> dict:
    """Return a WSGI environ as gunicorn would build it, with the body to send."""
    data = json.dumps(body).encode() if body is not None else None
    builder = EnvironBuilder(
        path=path,
        method=method,
        data=data,
        content_type="application/json" if data is not None else None,
        headers={"Host": "127.0.0.1:8000", **headers},
    )
    environ = builder.get_environ()
    environ["bench.body"] = data or b""
    return environ


def call(app: Flask, environ: dict) -> int:
    """Serve one request through the app's WSGI callable; return its status code."""
    statuses: list[int] = []

    def start_response(status: str, _headers: list, _exc_info: Any = None) -> None:
        statuses.append(int(status.split(" ", 1)[0]))

    request = {**environ, "wsgi.input": io.BytesIO(environ["bench.body"])}
    answer = app(request, start_response)
    try:
        for _chunk in answer:
            pass
    finally:
        getattr(answer, "close", lambda: None)()
    return statuses[0]


def requests_of(name: str, callbacks: list[dict], slot: int, count: int) -> list[dict]:
    """Return the environs of `count` requests to one endpoint; fresh callbacks take the
    orders of their own `slot`, so they never repeat."""
    if name == "form":
        return [environ_for("GET", "/")] * count
    if name == "status":
        return [environ_for("GET", f"/orders/{callbacks[0]['request_id']}/status")] * count
    if name == "callback_duplicate":
        return [environ_for("POST", "/callback", callbacks[0])] * count
    if name == "api_checkouts":
        body = {"site_login": "bench", "amount": 9000, "currency": "KZT"}
        auth = {"Authorization": f"Bearer {API_KEY}"}
        return [environ_for("POST", "/api/v1/checkouts", body, **auth)] * count
    fresh = callbacks[1 + slot * count :][:count]
    return [environ_for("POST", "/callback", body) for body in fresh]


def run(app: Flask, environs: list[dict]) -> tuple[float, float, set[int]]:
    """Serve every request; return CPU and wall seconds, and the statuses answered."""
    statuses = set()
    cpu, wall = time.process_time(), time.perf_counter()
    for environ in environs:
        statuses.add(call(app, environ))
    return time.process_time() - cpu, time.perf_counter() - wall, statuses


def measure(
    apps: dict[str, Flask], requests: Callable[[int], dict[str, list[dict]]], rounds: int
) -> dict[str, Figure]:
    """Run each app's requests, lean then checkout, once per round; return the medians."""
    warm_up = requests(-1)
    for name, app in apps.items():  # templates, locale data, compiled SQL, pooled connections
        run(app, warm_up[name][:WARM_UP])
    samples: dict[str, list[tuple[float, float, set[int]]]] = {name: [] for name in apps}
    for number in range(rounds):
        batch = requests(number)
        for name, app in apps.items():
            cpu, wall, statuses = run(app, batch[name])
            samples[name].append((cpu / len(batch[name]), wall / len(batch[name]), statuses))
    return {
        name: Figure(
            statistics.median(s[0] for s in runs) * 1e6,
            statistics.median(s[1] for s in runs) * 1e6,
            frozenset().union(*(s[2] for s in runs)),
        )
        for name, runs in samples.items()
    }


def bench_engine(url: str, endpoints: list[str], count: int, rounds: int) -> dict:
    """Measure every endpoint on one database; return endpoint → app → Figure."""
    # Fresh callbacks: a slot of `count` orders per app and per round, warm-up included.
    callbacks = prepare_database(url, 1 + count * 2 * (rounds + 1))
    apps = make_apps(url)
    figures = {}
    for name in endpoints:

        def requests(number: int, name: str = name) -> dict[str, list[dict]]:
            return {
                app: requests_of(name, callbacks, 2 * (number + 1) + index, count)
                for index, app in enumerate(apps)
            }

        figures[name] = measure(apps, requests, rounds)
    for app in apps.values():
        engine = app.extensions.get("lean_engine")
        if engine is not None:
            engine.dispose()
    return figures


def print_figures(title: str, figures: dict) -> None:
    print(f"\n{title}")
    print(
        f"  {'endpoint':<19} {'lean CPU':>9} {'checkout CPU':>13} {'× lean':>7}  "
        f"{'lean wall':>10} {'checkout wall':>14} {'× lean':>7}  statuses  target"
    )
    for name, apps in figures.items():
        lean, ours = apps["lean"], apps["checkout"]
        cpu_ratio = lean.cpu_us / ours.cpu_us
        wall_ratio = lean.wall_us / ours.wall_us
        verdict = f"≥{TARGETS[name]} " + ("ok" if cpu_ratio >= TARGETS[name] else "BELOW")
        statuses = ",".join(str(s) for s in sorted(ours.statuses | lean.statuses))
        print(
            f"  {name:<19} {lean.cpu_us:>7.0f}µs {ours.cpu_us:>11.0f}µs {cpu_ratio:>7.2f}  "
            f"{lean.wall_us:>8.0f}µs {ours.wall_us:>12.0f}µs {wall_ratio:>7.2f}  "
            f"{statuses:<8}  {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=500, help="requests per app per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--endpoints", nargs="+", choices=list(TARGETS), default=list(TARGETS), metavar="NAME"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    pg_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if args.engine in ("postgresql", "both") and not pg_url:
        raise SystemExit("PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL")
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    # Before anything imports config.py, which reads the environment once, or
    # prometheus_client, which chooses there where counts go.
    os.environ.update(APP_ENV)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-metrics-")
    print(
        f"in-process, {args.requests} requests per app per round, median of {args.rounds} "
        "rounds (lean, checkout back to back); CPU and wall time per request"
    )
    every = {}
    for engine in engines:
        with tempfile.TemporaryDirectory() as scratch:
            url = pg_url if engine == "postgresql" else f"sqlite:///{scratch}/cpu.sqlite3"
            figures = bench_engine(url, args.endpoints, args.requests, args.rounds)
        print_figures(engine, figures)
        every[engine] = {
            name: {app: {"cpu_us": f.cpu_us, "wall_us": f.wall_us} for app, f in apps.items()}
            for name, apps in figures.items()
        }
    if args.json:
        args.json.write_text(json.dumps(every, indent=1))


if __name__ == "__main__":
    main()

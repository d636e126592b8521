"""Benchmark the checkout against hello-world and against its lean reference, in one run.

Usage: `.venv/bin/python -m bench.run [--engine sqlite|postgresql|both] [--duration 5]
[--rounds 3] [--settings bench|production|gthread] [--compare-workers]`

Starts a bare Flask hello-world (`bench/hello.py`), the lean reference (`bench/lean.py`) and
the checkout under identical gunicorn settings, drives each with `wrk -t1 -c8`, and prints
each endpoint's req/s, p50 and p99 with two ratios: × hello-world and × its lean reference.
Each round runs hello-world, lean and checkout back to back; a ratio is the median of the
rounds' ratios, with their spread. PostgreSQL needs BENCH_DATABASE_URL (or
TEST_DATABASE_URL): its tables are dropped and rebuilt.

`--settings bench` is 2 sync workers; `production` is what `gunicorn.conf.py` chooses by
itself (its default worker count and class); `sync` is its former default, 2 × cores + 1
sync workers; `gthread` is one worker per core with 4 threads each. `--compare-workers`
runs the status poll and the callbacks under bench, sync and gthread in turn. `--json PATH`
also writes every row there, for `bench.all`'s summary.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from checkout import signing
from tests.support.gunicorn import gunicorn as serve_with_gunicorn

ROOT = Path(__file__).resolve().parent.parent
ORDERS_PER_SLICE = 12000  # more than the fastest app answers in one run
WARM_UP_SECONDS = 2
SECRET = "bench-gateway-secret"
API_KEY = "bench-merchant-api-key-0123456789"
# Issue #17: each endpoint × its lean reference, same run, both engines.
TARGETS = {
    "form": 0.8,
    "status": 0.8,
    "callback_duplicate": 0.7,
    "callback_fresh": 0.7,
    "api_checkouts": 0.6,
}
APP_ENV = {
    "APP_ENV": "production",
    "SECRET_KEY": "b" * 48,
    "GATEWAY_SECRET": SECRET,
    "MERCHANT_ID": "bench-merchant",
    "MERCHANT_API_KEY": API_KEY,
    "SITE_ID": "42",
    "PUBLIC_BASE_URL": "https://shop.example",
    # Never contacted: no benchmarked endpoint calls the gateway.
    "GATEWAY_BASE_URL": "https://cactusgino.com",
    "PROXY_FIX_HOPS": "0",
    # Production refuses per-process rate limits with several workers: the shared store it
    # runs with (no benchmarked endpoint is rate-limited, so it costs them nothing).
    "RATELIMIT_STORAGE_URI": os.environ.get("BENCH_REDIS_URL")
    or os.environ.get("TEST_REDIS_URL")
    or "redis://127.0.0.1:6379/0",
}


@dataclass(frozen=True)
class Serving:
    """gunicorn's worker settings; None leaves the choice to gunicorn.conf.py."""

    name: str
    workers: int | None
    worker_class: str | None
    threads: int = 1

    def options(self) -> list[str]:
        options = []
        if self.workers is not None:
            options += ["--workers", str(self.workers)]
        if self.worker_class is not None:
            options += ["--worker-class", self.worker_class, "--threads", str(self.threads)]
        return options

    def describe(self) -> str:
        if self.workers is None:
            return "gunicorn.conf.py defaults"
        threads = f" × {self.threads} threads" if self.threads > 1 else ""
        return f"{self.workers} {self.worker_class} workers{threads}"


CORES = os.cpu_count() or 1
SERVINGS = {
    "bench": Serving("bench", 2, "sync"),
    "production": Serving("production", None, None),
    "sync": Serving("sync", 2 * CORES + 1, "sync"),
    "gthread": Serving("gthread", CORES, "gthread", threads=4),
}
# The worker settings compared by --compare-workers.
COMPARED = ("bench", "sync", "gthread")


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


@dataclass(frozen=True)
class Endpoint:
    """One benchmarked request: its path, and a wrk script per round (None: a plain GET)."""

    name: str
    path: str
    scripts: list[Path | None]
    warm_up: Path | None = None


@contextmanager
def gunicorn(target: str, env: dict[str, str], serving: Serving) -> Iterator[str]:
    """Serve `target` with the production config file and `serving`; yield its base URL."""
    options = [*serving.options(), "--log-level", "warning"]
    with serve_with_gunicorn(target, env=env, options=options) as served:
        yield served.url


def wrk(url: str, duration: int, script: Path | None = None) -> Result:
    """Run wrk against a URL and parse its figures."""
    command = ["wrk", "-t1", "-c8", f"-d{duration}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Result(
        rps,
        _latency(output, "50%"),
        _latency(output, "99%"),
        int(non_2xx.group(1)) if non_2xx else 0,
    )


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def lua_posts(
    path: str, bodies: list[dict], file: Path, headers: dict[str, str] | None = None
) -> Path:
    """Write a wrk script that POSTs the given JSON bodies to `path` in turn."""
    table = ",\n".join(json.dumps(json.dumps(body)) for body in bodies)
    headers = {"Content-Type": "application/json", **(headers or {})}
    lua_headers = ", ".join(f'["{name}"] = "{value}"' for name, value in headers.items())
    file.write_text(
        "local bodies = {\n" + table + "\n}\n"
        "local i = 0\n"
        f"local headers = {{{lua_headers}}}\n"
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        f'  return wrk.format("POST", "{path}", headers, bodies[i])\n'
        "end\n"
    )
    return file


def build_schema(url: str) -> None:
    """Drop every table in the database, then create the checkout's and the lean app's.

    The checkout's tables are created by a test app, as the tests create theirs, so that
    every plug-in's tables are there whatever this branch holds.
    """
    from sqlalchemy import MetaData, create_engine

    from app import create_app
    from bench.lean import lean_metadata
    from checkout import plugin_schemas
    from checkout.extensions import db
    from config import TestingConfig

    engine = create_engine(url)
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
    plugin_schemas.recreate_tables(app)
    with app.app_context():
        db.engine.dispose()
    lean_metadata.create_all(engine)
    engine.dispose()


def prepare_database(url: str, orders: int) -> list[dict]:
    """Build the schema, insert pending orders, and return one signed callback per order."""
    from sqlalchemy import create_engine

    from checkout.models import Order

    build_schema(url)
    engine = create_engine(url)
    rows = [
        {
            "request_id": secrets.token_urlsafe(16),
            "submission_token": secrets.token_urlsafe(16),
            "amount": 9000,
            "currency": "KZT",
            "method": "card",
            "language": "EN",
            "site_login": "bench",
            "customer_type": "regular",
            "status": "pending",
        }
        for _ in range(orders)
    ]
    with engine.begin() as connection:
        connection.execute(Order.__table__.insert(), rows)
    engine.dispose()
    return [
        signing.signed(
            {
                "request_id": row["request_id"],
                "status": "success",
                "amount": 9000,
                "currency": "KZT",
                "invoice_id": "inv-" + row["request_id"],
            },
            SECRET,
        )
        for row in rows
    ]


def endpoints(
    callbacks: list[dict], rounds: int, scratch: Path, names: list[str]
) -> dict[str, list[Endpoint]]:
    """Return each app's endpoints; fresh callbacks never repeat across runs or apps."""
    per_app = {}
    slices = iter(callbacks[1 + n * ORDERS_PER_SLICE :][:ORDERS_PER_SLICE] for n in range(99))
    auth = {"Authorization": f"Bearer {API_KEY}"}
    checkout_body = {"site_login": "bench", "amount": 9000, "currency": "KZT"}
    for app in ("lean", "checkout"):
        fresh = [
            lua_posts("/callback", next(slices), scratch / f"{app}-fresh{n}.lua")
            for n in range(rounds + 1)
        ]
        duplicate = lua_posts("/callback", callbacks[:1], scratch / f"{app}-duplicate.lua")
        api = lua_posts("/api/v1/checkouts", [checkout_body], scratch / f"{app}-api.lua", auth)
        every = [
            Endpoint("form", "/", [None] * rounds),
            Endpoint("status", f"/orders/{callbacks[0]['request_id']}/status", [None] * rounds),
            Endpoint("callback_duplicate", "/callback", [duplicate] * rounds),
            Endpoint("callback_fresh", "/callback", fresh[:rounds], warm_up=fresh[rounds]),
            Endpoint("api_checkouts", "/api/v1/checkouts", [api] * rounds),
        ]
        per_app[app] = [endpoint for endpoint in every if endpoint.name in names]
    return per_app


@dataclass(frozen=True)
class Row:
    """An endpoint's median results over the rounds, and its per-round ratios."""

    name: str
    lean: Result
    checkout: Result | None
    lean_x_hello: list[float]
    checkout_x_hello: list[float]
    checkout_x_lean: list[float]


def measure(
    name: str,
    hello: str,
    lean: tuple[str, Endpoint],
    checkout: tuple[str, Endpoint] | None,
    duration: int,
) -> Row:
    """Run hello-world, lean and checkout back to back, once per round.

    Runs taken seconds apart on this shared machine see the same drift, so their ratios
    hold where the absolute figures wander; the median of the rounds drops a stalled one.
    """
    # Each worker's first requests load templates and locale data and compile SQL.
    for base, endpoint in filter(None, [lean, checkout]):
        wrk(base + endpoint.path, WARM_UP_SECONDS, endpoint.warm_up or endpoint.scripts[0])
    runs = []
    for n in range(len(lean[1].scripts)):
        hello_result = wrk(hello + "/", duration)
        lean_result = wrk(lean[0] + lean[1].path, duration, lean[1].scripts[n])
        checkout_result = None
        if checkout:
            checkout_result = wrk(checkout[0] + checkout[1].path, duration, checkout[1].scripts[n])
        runs.append((hello_result, lean_result, checkout_result))
    middle = sorted(runs, key=lambda run: (run[2] or run[1]).rps)[len(runs) // 2]
    return Row(
        name,
        middle[1],
        middle[2],
        [lean_.rps / hello_.rps for hello_, lean_, _ in runs],
        [ours.rps / hello_.rps for hello_, _, ours in runs if ours],
        [ours.rps / lean_.rps for _, lean_, ours in runs if ours],
    )


def has_checkouts_api(base: str) -> bool:
    """Tell whether this checkout serves `POST /api/v1/checkouts` (issue #14)."""
    answer = requests.post(base + "/api/v1/checkouts", json={}, timeout=10)
    return answer.status_code != 404


def bench_engine(
    engine: str, url: str, serving: Serving, args: argparse.Namespace, scratch: Path
) -> list[Row]:
    """Measure every endpoint of lean and checkout on one engine under one serving."""
    callbacks = prepare_database(url, 1 + ORDERS_PER_SLICE * 2 * (args.rounds + 1))
    per_app = endpoints(callbacks, args.rounds, scratch, args.endpoints)
    env = {**APP_ENV, "DATABASE_URL": url}
    rows = []
    with (
        gunicorn("bench.hello:app", {}, serving) as hello,
        gunicorn("app:create_app()", env, serving) as checkout,
    ):
        form_bytes = len(requests.get(checkout + "/", timeout=10).content)
        lean_env = {**env, "BENCH_FORM_BYTES": str(form_bytes)}
        api = has_checkouts_api(checkout)
        with gunicorn("bench.lean:create_app()", lean_env, serving) as lean:
            wrk(hello + "/", WARM_UP_SECONDS)
            for lean_endpoint, ours in zip(per_app["lean"], per_app["checkout"], strict=True):
                measured = ours.name != "api_checkouts" or api
                rows.append(
                    measure(
                        ours.name,
                        hello,
                        (lean, lean_endpoint),
                        (checkout, ours) if measured else None,
                        args.duration,
                    )
                )
    return rows


def spread(ratios: list[float]) -> str:
    if not ratios:
        return "-"
    return f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"


def row_figures(engine: str, serving: Serving, row: Row) -> dict:
    """Return a row as plain data: the medians, and each ratio's median, low and high."""

    def ratio(values: list[float]) -> list[float] | None:
        return [statistics.median(values), min(values), max(values)] if values else None

    return {
        "engine": engine,
        "serving": serving.name,
        "described": serving.describe(),
        "endpoint": row.name,
        "lean": vars(row.lean),
        "checkout": vars(row.checkout) if row.checkout else None,
        "lean_x_hello": ratio(row.lean_x_hello),
        "checkout_x_hello": ratio(row.checkout_x_hello),
        "checkout_x_lean": ratio(row.checkout_x_lean),
        "target": TARGETS[row.name],
    }


def print_rows(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(
        f"  {'endpoint':<19} {'app':<8} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'× hello (spread)':>18} {'× lean (spread)':>18}  non-2xx  target"
    )
    for row in rows:
        for app, result, x_hello in (
            ("lean", row.lean, row.lean_x_hello),
            ("checkout", row.checkout, row.checkout_x_hello),
        ):
            if result is None:
                print(f"  {'':<19} {app:<8} not served by this branch (issue #14)")
                continue
            x_lean, verdict = "", ""
            if app == "checkout":
                x_lean = spread(row.checkout_x_lean)
                target = TARGETS[row.name]
                met = statistics.median(row.checkout_x_lean) >= target
                verdict = f"≥{target} " + ("ok" if met else "BELOW")
            print(
                f"  {row.name if app == 'lean' else '':<19} {app:<8} {result.rps:>6.0f} "
                f"{result.p50_ms:>7.2f} {result.p99_ms:>7.2f} {spread(x_hello):>18} "
                f"{x_lean:>18}  {result.non_2xx:>7}  {verdict}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="hello/lean/checkout rounds")
    parser.add_argument("--settings", choices=list(SERVINGS), default="bench")
    parser.add_argument(
        "--endpoints", nargs="+", choices=list(TARGETS), default=list(TARGETS), metavar="NAME"
    )
    parser.add_argument(
        "--compare-workers",
        action="store_true",
        help="status and callbacks under " + ", ".join(COMPARED) + " in turn (sync vs gthread)",
    )
    parser.add_argument("--json", type=Path, help="also write every row to this file")
    args = parser.parse_args()
    pg_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if args.engine in ("postgresql", "both") and not pg_url:
        raise SystemExit("PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL")
    servings = [SERVINGS[args.settings]]
    if args.compare_workers:
        servings = [SERVINGS[name] for name in COMPARED]
        if args.endpoints == list(TARGETS):
            args.endpoints = ["status", "callback_duplicate", "callback_fresh"]
    print(
        f"machine: {os.cpu_count()} cores, {os.uname().machine}; wrk -t1 -c8 -d{args.duration}s;"
        f" median of {args.rounds} rounds (hello, lean, checkout back to back)"
    )
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    figures = []
    for serving in servings:
        for engine in engines:
            with tempfile.TemporaryDirectory() as scratch_dir:
                scratch = Path(scratch_dir)
                url = pg_url if engine == "postgresql" else f"sqlite:///{scratch / 'b.sqlite3'}"
                rows = bench_engine(engine, url, serving, args, scratch)
            print_rows(f"{engine}, {serving.name}: {serving.describe()}", rows)
            sys.stdout.flush()
            figures += [row_figures(engine, serving, row) for row in rows]
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()

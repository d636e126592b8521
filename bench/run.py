"""Benchmark the checkout against the framework's ceiling, in one run, on this machine.

Usage: `.venv/bin/python bench/run.py [--engine sqlite|postgresql|both] [--duration 5]
[--rounds 3]`

Starts a bare Flask hello-world app and this app under identical gunicorn settings
(2 sync workers), drives each with wrk, and prints requests/s, p50 and p99 for each
endpoint with its ratio to hello-world runs measured just before it, in the same run. PostgreSQL
needs BENCH_DATABASE_URL (or TEST_DATABASE_URL); its tables are dropped and rebuilt.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checkout import signing  # noqa: E402

WORKERS = 2
ORDERS = 60000
WARM_UP_SECONDS = 2
SECRET = "bench-gateway-secret"
TARGETS = {"form": 0.6, "status": 0.7, "callback_duplicate": 0.35, "callback_fresh": 0.35}
APP_ENV = {
    "APP_ENV": "production",
    "SECRET_KEY": "b" * 48,
    "GATEWAY_SECRET": SECRET,
    "MERCHANT_ID": "bench-merchant",
    "SITE_ID": "42",
    "PUBLIC_BASE_URL": "https://shop.example",
    # Never contacted: no benchmarked endpoint calls the gateway.
    "GATEWAY_BASE_URL": "https://cactusgino.com",
    "PROXY_FIX_HOPS": "0",
}


@dataclass(frozen=True)
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(target: str, env: dict[str, str], port: int) -> subprocess.Popen:
    """Start gunicorn with the benchmark's settings and wait until it answers."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        # The production settings (gunicorn.conf.py) for both apps, workers overridden.
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        target,
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn {target} did not start")


def wrk(name: str, url: str, duration: int, script: Path | None = None) -> Result:
    """Run wrk against a URL and parse its figures."""
    command = ["wrk", "-t1", "-c8", f"-d{duration}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Result(
        name,
        rps,
        _latency(output, "50%"),
        _latency(output, "99%"),
        int(non_2xx.group(1)) if non_2xx else 0,
    )


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def lua_posts(bodies: list[dict], path: Path) -> Path:
    """Write a wrk script that POSTs the given JSON bodies to /callback in turn."""
    table = ",\n".join(json.dumps(json.dumps(body)) for body in bodies)
    path.write_text(
        "local bodies = {\n" + table + "\n}\n"
        "local i = 0\n"
        'local headers = {["Content-Type"] = "application/json"}\n'
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        '  return wrk.format("POST", "/callback", headers, bodies[i])\n'
        "end\n"
    )
    return path


def prepare_database(url: str, orders: int) -> list[dict]:
    """Build the schema, insert pending orders, and return one signed callback per order."""
    from sqlalchemy import create_engine

    from checkout.extensions import db
    from checkout.models import Order

    engine = create_engine(url)
    db.metadata.drop_all(engine)
    db.metadata.create_all(engine)
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


def paired(
    hello_url: str,
    name: str,
    url: str,
    duration: int,
    scripts: list[Path | None],
    warm_up_script: Path | None = None,
) -> Row:
    """Alternate hello-world and endpoint runs; keep the median of the per-pair ratios.

    Pairing each run with a hello-world run measured just before it cancels the drift of
    a shared virtual machine, and the median of several pairs drops a run hit by a stall.
    """
    # Warm up first: each worker's first requests load templates, locale data and compile
    # SQL, and a cold worker holding a connection for a second would count as a stall.
    wrk("warm-up", url, WARM_UP_SECONDS, warm_up_script or scripts[0])
    pairs = []
    for script in scripts:
        hello = wrk("hello", hello_url, duration)
        result = wrk(name, url, duration, script)
        pairs.append((result.rps / hello.rps, result, hello))
    pairs.sort(key=lambda pair: pair[0])
    ratio, result, hello = pairs[len(pairs) // 2]
    return Row(result, hello, ratio, [pair[0] for pair in pairs])


@dataclass(frozen=True)
class Row:
    result: Result
    hello: Result
    ratio: float
    ratios: list[float]


def bench_engine(
    engine: str, url: str, hello_url: str, args: argparse.Namespace, scratch: Path
) -> None:
    rounds, duration = args.rounds, args.duration
    callbacks = prepare_database(url, orders=ORDERS)
    port = free_port()
    app = start_gunicorn("app:create_app()", {**APP_ENV, "DATABASE_URL": url}, port)
    base = f"http://127.0.0.1:{port}"
    # Fresh orders: each round gets its own slice, so no callback repeats across rounds.
    fresh = [callbacks[1 + n :: rounds + 1] for n in range(rounds + 1)]
    try:
        status_url = f"{base}/orders/{callbacks[0]['request_id']}/status"
        rows = [
            paired(hello_url, "form", base + "/", duration, [None] * rounds),
            paired(hello_url, "status", status_url, duration, [None] * rounds),
            paired(
                hello_url,
                "callback_duplicate",
                base + "/callback",
                duration,
                [lua_posts(callbacks[:1], scratch / "duplicate.lua")] * rounds,
            ),
            paired(
                hello_url,
                "callback_fresh",
                base + "/callback",
                duration,
                [lua_posts(fresh[n], scratch / f"fresh{n}.lua") for n in range(rounds)],
                warm_up_script=lua_posts(fresh[rounds], scratch / "fresh-warm-up.lua"),
            ),
        ]
    finally:
        app.terminate()
        app.wait(timeout=30)
    print(f"\n{engine}:")
    for row in rows:
        result, target = row.result, TARGETS[row.result.name]
        verdict = "ok" if row.ratio >= target else f"BELOW {target}x"
        print(
            f"  {result.name:<19} {result.rps:>6.0f} req/s  p50 {result.p50_ms:>6.2f} ms  "
            f"p99 {result.p99_ms:>7.2f} ms  hello {row.hello.rps:>5.0f} req/s  "
            f"{row.ratio:>4.2f}x (runs: {' '.join(f'{r:.2f}' for r in row.ratios)})  "
            f"non-2xx {result.non_2xx}  {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="hello/endpoint pairs per row")
    args = parser.parse_args()
    pg_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if args.engine in ("postgresql", "both") and not pg_url:
        raise SystemExit("PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL")

    print(
        f"machine: {os.cpu_count()} cores, {os.uname().machine}; gunicorn {WORKERS} sync "
        f"workers each; wrk -t1 -c8 -d{args.duration}s; median of {args.rounds} pairs"
    )
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        port = free_port()
        hello_app = start_gunicorn("bench.hello:app", {}, port)
        hello_url = f"http://127.0.0.1:{port}/"
        try:
            wrk("warm-up", hello_url, WARM_UP_SECONDS)
            if args.engine in ("sqlite", "both"):
                bench_engine(
                    "sqlite", f"sqlite:///{scratch / 'bench.sqlite3'}", hello_url, args, scratch
                )
            if args.engine in ("postgresql", "both"):
                bench_engine("postgresql", pg_url, hello_url, args, scratch)
        finally:
            hello_app.terminate()
            hello_app.wait(timeout=30)


if __name__ == "__main__":
    main()

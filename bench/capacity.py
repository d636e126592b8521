"""A measured capacity run: two checkout instances, one PostgreSQL, mixed load, zero errors.

Usage: `BENCH_DATABASE_URL=postgresql+psycopg://… .venv/bin/python -m bench.capacity
[--customers 6] [--duration 30] [--workers 2]` (TEST_DATABASE_URL also works; the tables
are dropped and rebuilt).

Two gunicorn processes on two ports stand for two app machines behind a load balancer.
Each simulated customer makes whole journeys, alternating instances as a balancer would:
the form, the form's POST (order created, obtain_token answered by the embedded sandbox,
303 to the payment page), three status polls, the gateway's signed callback and its
duplicate retry, and a last poll that must read `paid`. Every answer is checked; the
database is checked at the end (every journey's order paid once, every callback stored
with its outcome). It prints the rate of each request kind and exits 1 on any error.

The sandbox plays the gateway inside each instance (production allows it with
SANDBOX_ENABLED=1): its obtain_token work is counted against the checkout, so the figures
are a lower bound for a real deployment. The webhook worker is not part of this run yet
(no MERCHANT_WEBHOOK_URL): docs/performance.md says what is missing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text

from bench.run import APP_ENV, SECRET, Serving, build_schema, gunicorn
from checkout import signing

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TOKEN_FIELD = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')
PAY_PATH = re.compile(r"/pay/([A-Za-z0-9_-]+)$")
CAPACITY_ENV = {
    **APP_ENV,
    # The embedded sandbox answers obtain_token; no gateway outside this machine is needed.
    "GATEWAY_BASE_URL": "",
    "SANDBOX_ENABLED": "1",
    # Every simulated customer comes from 127.0.0.1: the per-client limit would refuse them.
    "CHECKOUT_RATE_LIMIT": "1000000 per second",
}


class JourneyError(Exception):
    """An answer that a real customer or gateway would not have been given."""


def expect(answer: requests.Response, status: int, what: str) -> requests.Response:
    if answer.status_code != status:
        raise JourneyError(f"{what}: {answer.status_code} (expected {status})")
    return answer


def journey(session: requests.Session, here: str, there: str, timings: dict) -> None:
    """One customer's payment, from the form to the paid status, checking every answer."""

    def timed(kind: str, method: str, url: str, **options) -> requests.Response:
        started = time.perf_counter()
        answer = session.request(method, url, timeout=30, allow_redirects=False, **options)
        timings[kind].append(time.perf_counter() - started)
        return answer

    page = expect(timed("form", "GET", here + "/"), 200, "GET /").text
    # Production cookies are Secure: sent back by hand over the benchmark's plain HTTP.
    cookie = {"Cookie": f"session={session.cookies.get('session')}"}
    session.cookies.clear()
    form = {
        "amount": "90.00",
        "currency": "KZT",
        "method": "card",
        "bank_app": "",
        "language": "EN",
        "site_login": "capacity",
        "csrf_token": CSRF_FIELD.search(page).group(1),
        "submission_token": TOKEN_FIELD.search(page).group(1),
    }
    posted = expect(timed("checkout", "POST", here + "/", data=form, headers=cookie), 303, "POST /")
    request_id = PAY_PATH.search(posted.headers["Location"]).group(1)
    status_url = f"/orders/{request_id}/status"
    for _poll in range(3):
        expect(timed("status", "GET", there + status_url), 200, "status")
    callback = signing.signed(
        {"request_id": request_id, "status": "success", "amount": 9000, "currency": "KZT"},
        SECRET,
    )
    for url, outcome in ((there, "accepted"), (here, "duplicate")):
        answer = expect(timed("callback", "POST", url + "/callback", json=callback), 200, "cb")
        if answer.json()["outcome"] != outcome:
            raise JourneyError(f"callback: {answer.json()} (expected {outcome})")
    final = expect(timed("status", "GET", here + status_url), 200, "status").json()
    if final["status"] != "paid":
        raise JourneyError(f"final status: {final}")


def customer(args: tuple[list[str], float, int]) -> tuple[int, list[str], dict]:
    """Make journeys until the deadline; return how many, the errors and the timings."""
    bases, deadline, number = args
    timings: dict[str, list[float]] = defaultdict(list)
    errors, journeys = [], 0
    with requests.Session() as session:
        while time.time() < deadline:
            here, there = bases[(journeys + number) % 2], bases[(journeys + number + 1) % 2]
            try:
                journey(session, here, there, timings)
                journeys += 1
            except (JourneyError, requests.RequestException, AttributeError) as error:
                errors.append(f"{type(error).__name__}: {error}")
    return journeys, errors, dict(timings)


def served_by(base: str) -> list[int]:
    """Return the pids of a gunicorn master and its workers, found by their --bind."""
    address = base.removeprefix("http://")
    return [int(pid) for pid in subprocess.check_output(["pgrep", "-f", "--", address]).split()]


def backends(url: str) -> list[int]:
    """Return the pids of the PostgreSQL backends serving this database (same machine)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        pids = list(connection.scalars(query))
    engine.dispose()
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """Return the CPU time (user + system) the processes have used so far; gone ones count 0."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def stored_figures(url: str) -> dict[str, int]:
    """Count what the database holds after the run: paid orders and callbacks by outcome."""
    from checkout.models import CallbackRecord, Order

    engine = create_engine(url)
    with engine.connect() as connection:
        figures = {
            "orders": connection.scalar(select(func.count()).select_from(Order)),
            "paid": connection.scalar(select(func.count()).where(Order.status == "paid")),
        }
        outcomes = select(CallbackRecord.outcome, func.count()).group_by(CallbackRecord.outcome)
        figures.update({f"callbacks {o}": n for o, n in connection.execute(outcomes)})
    engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=6, help="concurrent customers")
    parser.add_argument("--duration", type=int, default=30, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2, help="sync workers per instance")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        raise SystemExit("the capacity run needs PostgreSQL: set BENCH_DATABASE_URL")
    build_schema(url)
    serving = Serving("capacity", args.workers, "sync")
    env = {**CAPACITY_ENV, "DATABASE_URL": url}
    with ExitStack() as stack:
        bases = [stack.enter_context(gunicorn("app:create_app()", env, serving)) for _ in "ab"]
        for base in bases:  # warm up each worker: templates, locale data, compiled SQL
            with requests.Session() as session:
                for _ in range(4 * args.workers):
                    journey(session, base, base, defaultdict(list))
        prepare_counts = stored_figures(url)
        app_pids = [pid for base in bases for pid in served_by(base)]
        database_pids = backends(url)
        cpu_before = cpu_seconds(app_pids), cpu_seconds(database_pids)
        deadline = time.time() + args.duration
        started = time.perf_counter()
        with multiprocessing.Pool(args.customers) as pool:
            results = pool.map(customer, [(bases, deadline, n) for n in range(args.customers)])
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(app_pids) - cpu_before[0], cpu_seconds(database_pids) - cpu_before[1]
    report(results, elapsed, args, prepare_counts, stored_figures(url))
    journeys = sum(result[0] for result in results)
    print(
        f"  CPU per journey: app {cpu[0] / journeys * 1000:.1f} ms (both instances), "
        f"PostgreSQL {cpu[1] / journeys * 1000:.1f} ms; one core serves "
        f"{journeys / cpu[0]:.0f} journeys/s of app work, {journeys / cpu[1]:.0f} of database work"
    )


def report(results: list, elapsed: float, args, before: dict, after: dict) -> None:
    journeys = sum(result[0] for result in results)
    errors = [error for result in results for error in result[1]]
    timings: dict[str, list[float]] = defaultdict(list)
    for result in results:
        for kind, values in result[2].items():
            timings[kind].extend(values)
    print(
        f"two instances × {args.workers} sync workers, one PostgreSQL, {args.customers} "
        f"customers, {elapsed:.0f} s: {journeys} journeys ({journeys / elapsed:.1f}/s)"
    )
    total = sum(len(values) for values in timings.values())
    for kind, values in sorted(timings.items()):
        values.sort()
        print(
            f"  {kind:<9} {len(values) / elapsed:>7.1f} req/s  p50 "
            f"{statistics.median(values) * 1000:>6.1f} ms  p99 "
            f"{values[int(len(values) * 0.99)] * 1000:>6.1f} ms"
        )
    print(f"  all       {total / elapsed:>7.1f} req/s")
    delta = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    print("  stored during the run: " + ", ".join(f"{k} {v}" for k, v in delta.items()))
    matches = delta.get("paid") == delta.get("orders") == journeys and (
        delta.get("callbacks accepted") == delta.get("callbacks duplicate") == journeys
    )
    print(f"  errors: {len(errors)}" + "".join(f"\n    {e}" for e in errors[:10]))
    if errors:
        raise SystemExit(1)
    if not matches:
        raise SystemExit("the database does not match the journeys")


if __name__ == "__main__":
    main()

"""A measured capacity run: two checkout instances, one PostgreSQL, mixed load, zero errors.

Usage: `BENCH_DATABASE_URL=postgresql+psycopg://… .venv/bin/python -m bench.capacity
[--customers 6] [--duration 30] [--workers 2] [--worker-class gthread] [--threads 4]
[--webhook-workers 2]` (TEST_DATABASE_URL also works; the tables are dropped and rebuilt).

Two gunicorn processes on two ports stand for two app machines behind a load balancer,
and `--webhook-workers` processes of `flask webhooks worker` deliver the merchant's
webhooks to a receiver that verifies every signature (`bench.webhooks.receiver`), all
against one PostgreSQL. Each simulated customer makes whole journeys, alternating
instances as a balancer would: the form, the form's POST (order created, obtain_token
answered by the embedded sandbox, 303 to the payment page), three status polls, the
gateway's signed callback and its duplicate retry, and a last poll that must read `paid`.
Every answer is checked. When the load stops, the workers are given time to empty the
outbox; then the database is checked: every journey's order paid once, every callback
stored with its outcome, one `order.paid` event per paid order, each delivered by exactly
one 2xx attempt. It prints the rate of each request kind, how long the merchant waited
for each webhook, the CPU per journey, and exits 1 on any error.

The sandbox plays the gateway inside each instance (production allows it with
SANDBOX_ENABLED=1): its obtain_token work is counted against the checkout, so the figures
are a lower bound for a real deployment.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text

from bench.run import APP_ENV, ROOT, SECRET, SERVINGS, Serving, build_schema, gunicorn
from bench.webhooks import SECRET as WEBHOOK_SECRET
from checkout import signing
from tests.support.gunicorn import free_port

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
    "MERCHANT_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
# How long the webhook workers get, after the load, to deliver what is still due.
DRAIN_SECONDS = 120


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
    """Count what the database holds: paid orders, callbacks by outcome, webhook events by
    state, and attempts by result."""
    from checkout.models import CallbackRecord, Order
    from checkout.webhooks.models import WebhookAttempt, WebhookEvent

    engine = create_engine(url)
    with engine.connect() as connection:
        figures = {
            "orders": connection.scalar(select(func.count()).select_from(Order)),
            "paid": connection.scalar(select(func.count()).where(Order.status == "paid")),
        }
        outcomes = select(CallbackRecord.outcome, func.count()).group_by(CallbackRecord.outcome)
        figures.update({f"callbacks {o}": n for o, n in connection.execute(outcomes)})
        states = select(WebhookEvent.state, func.count()).group_by(WebhookEvent.state)
        figures.update({f"webhooks {state}": n for state, n in connection.execute(states)})
        delivered = WebhookAttempt.status_code.between(200, 299)
        figures["attempts 2xx"] = connection.scalar(select(func.count()).where(delivered))
        figures["attempts other"] = connection.scalar(
            select(func.count()).where(~delivered | WebhookAttempt.status_code.is_(None))
        )
    engine.dispose()
    return figures


def webhook_waits(url: str, since: datetime) -> list[float]:
    """Return, per event written since `since`, the seconds from its writing to delivery."""
    from checkout.webhooks.models import WebhookEvent

    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(WebhookEvent.created_at, WebhookEvent.delivered_at).where(
                WebhookEvent.created_at >= since, WebhookEvent.delivered_at.is_not(None)
            )
        )
        waits = sorted((delivered - created).total_seconds() for created, delivered in rows)
    engine.dispose()
    return waits


@contextmanager
def webhook_workers(count: int, env: dict[str, str]) -> Iterator[list[subprocess.Popen]]:
    """Run `count` webhook worker processes (`flask webhooks worker`); stop them after."""
    command = [sys.executable, "-m", "flask", "--app", "app:create_app", "webhooks", "worker"]
    with tempfile.TemporaryFile() as log:  # a line per attempt: a pipe nobody read would fill
        workers = [
            subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stderr=log)
            for _ in range(count)
        ]
        try:
            yield workers
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            if any(worker.wait(timeout=60) != 0 for worker in workers):
                log.seek(0)
                raise SystemExit("a webhook worker failed: " + log.read().decode()[-2000:])


def self_signed_certificate(directory: Path) -> Path:
    """Make a certificate for 127.0.0.1 and its key in `directory`; return the certificate."""
    certificate = directory / "receiver.crt"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(certificate.with_suffix(".key")), "-out", str(certificate),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return certificate


@contextmanager
def https_receiver(certificate: Path) -> Iterator[str]:
    """Serve `bench.webhooks.receiver` over https as the webhook benchmark serves it over
    http (gthread workers keep the senders' connections open); yield its base URL."""
    port = free_port()
    serving = SERVINGS["gthread"]
    command = [sys.executable, "-m", "gunicorn", *serving.options(), "--bind"]
    command += [f"127.0.0.1:{port}", "--certfile", str(certificate)]
    command += ["--keyfile", str(certificate.with_suffix(".key")), "--no-control-socket"]
    command += ["--log-level", "warning"]
    process = subprocess.Popen([*command, "bench.webhooks:receiver"], cwd=ROOT)
    base = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/", verify=str(certificate), timeout=2)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the webhook receiver did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def drain(url: str, deadline: float) -> bool:
    """Wait until no webhook event is pending; return whether that happened in time."""
    while time.monotonic() < deadline:
        if not stored_figures(url).get("webhooks pending"):
            return True
        time.sleep(0.5)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=6, help="concurrent customers")
    parser.add_argument("--duration", type=int, default=30, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--webhook-workers", type=int, default=2, help="`flask webhooks worker`s")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        raise SystemExit("the capacity run needs PostgreSQL: set BENCH_DATABASE_URL")
    build_schema(url)
    threads = args.threads if args.worker_class == "gthread" else 1
    serving = Serving("capacity", args.workers, args.worker_class, threads)
    with ExitStack() as stack:
        # Production sends webhooks over https only: the receiver has a certificate that the
        # instances and the webhook workers trust.
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        certificate = self_signed_certificate(scratch)
        receiver = stack.enter_context(https_receiver(certificate))
        env = {
            **CAPACITY_ENV,
            "DATABASE_URL": url,
            "MERCHANT_WEBHOOK_URL": receiver + "/hooks",
            "REQUESTS_CA_BUNDLE": str(certificate),
        }
        bases = [stack.enter_context(gunicorn("app:create_app()", env, serving)) for _ in "ab"]
        workers = stack.enter_context(webhook_workers(args.webhook_workers, env))
        for base in bases:  # warm up each worker: templates, locale data, compiled SQL
            with requests.Session() as session:
                for _ in range(4 * args.workers * threads):
                    journey(session, base, base, defaultdict(list))
        if not drain(url, time.monotonic() + DRAIN_SECONDS):
            raise SystemExit("the webhook workers did not deliver the warm-up's events")
        prepare_counts = stored_figures(url)
        app_pids = [pid for base in bases for pid in served_by(base)]
        worker_pids = [worker.pid for worker in workers]
        # Pools open more connections under load: backends born during the run count whole.
        database_before = {pid: cpu_seconds([pid]) for pid in backends(url)}
        cpu_before = [cpu_seconds(app_pids), cpu_seconds(worker_pids)]
        load_started = datetime.now(UTC).replace(tzinfo=None)
        deadline = time.time() + args.duration
        started = time.perf_counter()
        with multiprocessing.Pool(args.customers) as pool:
            results = pool.map(customer, [(bases, deadline, n) for n in range(args.customers)])
        elapsed = time.perf_counter() - started
        drained = drain(url, time.monotonic() + DRAIN_SECONDS)
        cpu = [cpu_seconds(app_pids) - cpu_before[0], cpu_seconds(worker_pids) - cpu_before[1]]
        cpu.append(sum(cpu_seconds([pid]) - database_before.get(pid, 0.0) for pid in backends(url)))
    report(results, elapsed, args, prepare_counts, stored_figures(url), drained)
    journeys = sum(result[0] for result in results)
    waits = webhook_waits(url, load_started)
    print(
        f"  webhooks: {len(waits)} delivered, from the paying commit to the receiver's 204 "
        f"p50 {statistics.median(waits) * 1000:.0f} ms, p99 "
        f"{waits[int(len(waits) * 0.99)] * 1000:.0f} ms"
    )
    print(
        f"  CPU per journey: app {cpu[0] / journeys * 1000:.1f} ms (both instances), webhook "
        f"workers {cpu[1] / journeys * 1000:.1f} ms, PostgreSQL {cpu[2] / journeys * 1000:.1f} "
        f"ms; one core serves {journeys / cpu[0]:.0f} journeys/s of app work, "
        f"{journeys / cpu[1]:.0f} of webhook delivery, {journeys / cpu[2]:.0f} of database work"
    )


def report(results: list, elapsed: float, args, before: dict, after: dict, drained: bool) -> None:
    journeys = sum(result[0] for result in results)
    errors = [error for result in results for error in result[1]]
    timings: dict[str, list[float]] = defaultdict(list)
    for result in results:
        for kind, values in result[2].items():
            timings[kind].extend(values)
    threads = f" × {args.threads} threads" if args.worker_class == "gthread" else ""
    print(
        f"two instances × {args.workers} {args.worker_class} workers{threads}, "
        f"{args.webhook_workers} webhook workers, one PostgreSQL, {args.customers} "
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
    # One order.paid per paid order, each delivered by exactly one 2xx attempt.
    delivered = drained and (
        delta.get("webhooks delivered") == delta.get("attempts 2xx") == journeys
        and not delta.get("attempts other")
        and not after.get("webhooks failed")
    )
    print(f"  errors: {len(errors)}" + "".join(f"\n    {e}" for e in errors[:10]))
    if errors:
        raise SystemExit(1)
    if not matches:
        raise SystemExit("the database does not match the journeys")
    if not delivered:
        raise SystemExit("the webhooks do not match the paid orders")


if __name__ == "__main__":
    main()

"""Under gunicorn with several workers, /metrics sums every worker's counts — the dead too.

gunicorn.conf.py gives the workers one PROMETHEUS_MULTIPROC_DIR, empties it at start, and
drops a dead worker's live gauges while keeping its counters.
"""

from __future__ import annotations

import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support.apps import close_app, make_app
from tests.support.gunicorn import gunicorn
from tests.support.metrics import TOKEN, parse, value
from tests.support.wait import wait_for

# Slow: gunicorn with two workers, one killed.
pytestmark = pytest.mark.slow

WORKERS = 2
REQUESTS = 40
COUNTED = {"endpoint": "checkout.order_status", "method": "GET", "status": "404"}


@pytest.fixture
def two_workers(tmp_path):
    """Run gunicorn with gunicorn.conf.py and two workers; yield its URL, metrics dir, log."""
    database_url = f"sqlite:///{tmp_path / 'metrics.sqlite3'}"
    close_app(make_app(database_url))
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    # Left by an earlier run: summed with ours, or unreadable, unless emptied at start.
    (metrics_dir / "counter_1.db").write_bytes(b"not a metrics file")
    env = {
        "APP_ENV": "testing",
        "DATABASE_URL": database_url,
        "METRICS_TOKEN": TOKEN,
        "WEB_CONCURRENCY": str(WORKERS),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    with gunicorn(env=env, log_path=tmp_path / "gunicorn.log") as served:
        yield served.url, metrics_dir, served.log_path


def scrape(base: str) -> dict:
    response = requests.get(
        base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return parse(response.text)


def worker_pids(metrics_dir: Path) -> set[int]:
    """Return the processes that have written counters (the workers; never the master)."""
    return {
        int(match.group(1))
        for path in metrics_dir.iterdir()
        if (match := re.fullmatch(r"counter_(\d+)\.db", path.name))
    }


def test_counts_are_summed_across_workers_and_survive_a_dead_worker(two_workers):
    base, metrics_dir, log_path = two_workers

    def probe(number: int) -> int:
        # A new connection each time, several at once: both sync workers take some.
        return requests.get(f"{base}/orders/probe{number}/status", timeout=10).status_code

    # Both workers must answer some: the second may still be starting, so go on in
    # rounds of eight until it has counted too.
    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:

        def both_have_counted() -> bool:
            nonlocal sent
            assert set(pool.map(probe, range(sent, sent + 8))) == {404}
            sent += 8
            return sent >= REQUESTS and len(worker_pids(metrics_dir)) >= WORKERS

        wait_for(both_have_counted, 30, lambda: "one worker answered all:\n" + log_path.read_text())
    writers = worker_pids(metrics_dir)
    assert 1 not in writers, "the stale file of an earlier run was not removed"

    # Whichever worker answers the scrape, it reports the sum over all of them.
    totals = {value(scrape(base), "checkout_http_requests_total", **COUNTED) for _ in range(6)}
    assert totals == {sent}

    # A worker killed outright: gunicorn starts another, and its counts stay in the sum.
    os.kill(next(iter(writers)), signal.SIGKILL)

    def a_new_worker_has_counted() -> bool:
        requests.get(f"{base}/orders/after/status", timeout=10)
        return bool(worker_pids(metrics_dir) - writers)

    wait_for(
        a_new_worker_has_counted, 20, lambda: "no new worker answered:\n" + log_path.read_text()
    )
    after = value(scrape(base), "checkout_http_requests_total", **COUNTED)
    assert after >= sent + 1

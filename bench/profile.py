"""Profile one endpoint in-process with pyinstrument, to see where a request's time goes.

Usage: `.venv/bin/python -m bench.profile ENDPOINT [--app checkout|lean] [--requests 1000]
[--all]`, ENDPOINT one of form, status, callback_duplicate, callback_fresh, api_checkouts
(PostgreSQL with BENCH_DATABASE_URL, else SQLite).

Serves the checkout in its production configuration, or the lean reference
(`bench/lean.py`), exactly as `bench/cpu.py` measures them: the WSGI callable called as
gunicorn would, log lines rendered and written to /dev/null. The figures leave out gunicorn
and the network but show each app's own work, so the two profiles side by side show what
the checkout does beyond the contract. The first line gives the CPU time per request
measured without the profiler, then the statements and commits per request.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from pyinstrument import Profiler
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.cpu import make_apps, requests_of, run
from bench.run import APP_ENV, TARGETS, prepare_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint", choices=list(TARGETS))
    parser.add_argument("--app", choices=["checkout", "lean"], default="checkout")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--all", action="store_true", help="show library frames too")
    args = parser.parse_args()
    # Before anything imports config.py, which reads the environment once, or
    # prometheus_client, which chooses there where counts go (files, as under gunicorn).
    os.environ.update(APP_ENV)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-metrics-")
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/profile.sqlite3"
        # Slots of `--requests` orders: the warm-up, the timed run, the profiled run.
        callbacks = prepare_database(url, orders=1 + 3 * args.requests)
        app = make_apps(url)[args.app]
        run(app, requests_of(args.endpoint, callbacks, 0, args.requests)[:100])
        batch = requests_of(args.endpoint, callbacks, 1, args.requests)
        cpu, _wall, statuses = run(app, batch)
        counts = {"statements": 0, "commits": 0}
        count = {
            name: (lambda *_args, name=name: counts.__setitem__(name, counts[name] + 1))
            for name in counts
        }
        event.listen(Engine, "before_cursor_execute", count["statements"])
        event.listen(Engine, "commit", count["commits"])
        profiler = Profiler(interval=0.0002)
        batch = requests_of(args.endpoint, callbacks, 2, args.requests)
        started = time.perf_counter()
        profiler.start()
        run(app, batch)
        profiler.stop()
        profiled = (time.perf_counter() - started) / args.requests * 1e6
        print(
            f"{args.app} {args.endpoint}: {cpu / args.requests * 1e6:.0f} µs of CPU per request "
            f"unprofiled, answers {sorted(statuses)}; {profiled:.0f} µs profiled; "
            f"{counts['statements'] / args.requests:.1f} statements and "
            f"{counts['commits'] / args.requests:.1f} commits per request"
        )
        print(profiler.output_text(unicode=True, color=False, show_all=args.all))


if __name__ == "__main__":
    main()

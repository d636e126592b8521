"""Profile one endpoint in-process with pyinstrument, to see where a request's time goes.

Usage: `.venv/bin/python -m bench.profile form|status|callback|api [--app checkout|lean]
[--requests 1000]` (PostgreSQL with BENCH_DATABASE_URL, else SQLite).

Runs the checkout's production configuration, or the lean reference (`bench/lean.py`),
through Flask's test client: the figures leave out gunicorn and the network but show each
app's own work, so the two profiles side by side show what the checkout does beyond the
contract. The first line gives the wall time per request.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time

from flask import Flask
from pyinstrument import Profiler
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.run import API_KEY, APP_ENV, prepare_database


def make_app(name: str) -> Flask:
    """Create the checkout (as production runs it) or the lean reference, on DATABASE_URL."""
    if name == "lean":
        from bench import lean

        return lean.create_app()
    from app import create_app

    app = create_app()
    logging.getLogger().handlers.clear()  # measure the work, not the terminal
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint", choices=["form", "status", "callback", "api"])
    parser.add_argument("--app", choices=["checkout", "lean"], default="checkout")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--all", action="store_true", help="show library frames too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/profile.sqlite3"
        # Before anything imports config.py, which reads the environment once.
        os.environ.update({**APP_ENV, "DATABASE_URL": url})
        callbacks = prepare_database(url, orders=args.requests + 50)
        client = make_app(args.app).test_client()
        status_url = f"/orders/{callbacks[0]['request_id']}/status"
        calls = {
            "form": lambda n: client.get("/"),
            "status": lambda n: client.get(status_url),
            "callback": lambda n: client.post("/callback", json=callbacks[n]),
            "api": lambda n: client.post(
                "/api/v1/checkouts",
                json={"site_login": "bench", "amount": 9000, "currency": "KZT"},
                headers={"Authorization": f"Bearer {API_KEY}"},
            ),
        }
        call = calls[args.endpoint]
        for n in range(args.requests, args.requests + 50):  # warm up on spare orders
            call(n)
        counts = {"statements": 0, "commits": 0}
        count = {
            name: (lambda *_args, name=name: counts.__setitem__(name, counts[name] + 1))
            for name in counts
        }
        event.listen(Engine, "before_cursor_execute", count["statements"])
        event.listen(Engine, "commit", count["commits"])
        profiler = Profiler(interval=0.0002)
        started = time.perf_counter()
        profiler.start()
        for n in range(args.requests):
            call(n)
        profiler.stop()
        per_request = (time.perf_counter() - started) / args.requests * 1e6
        print(
            f"{args.app} {args.endpoint}: {per_request:.0f} µs per request (profiled), "
            f"{counts['statements'] / args.requests:.1f} statements and "
            f"{counts['commits'] / args.requests:.1f} commits per request"
        )
        print(profiler.output_text(unicode=True, color=False, show_all=args.all))


if __name__ == "__main__":
    main()

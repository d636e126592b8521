"""Profile one endpoint in-process with pyinstrument, to see where a request's time goes.

Usage: `.venv/bin/python bench/profile.py form|status|callback [--requests 1000]`
(`pip install pyinstrument` first; PostgreSQL with BENCH_DATABASE_URL, else SQLite).
Runs the production configuration through Flask's test client, so the figures leave out
gunicorn and the network but show the app's own work.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

from pyinstrument import Profiler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import APP_ENV, prepare_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint", choices=["form", "status", "callback"])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/profile.sqlite3"
        callbacks = prepare_database(url, orders=args.requests + 50)
        os.environ.update({**APP_ENV, "DATABASE_URL": url})
        from app import create_app

        app = create_app()
        logging.getLogger().handlers.clear()  # measure the work, not the terminal
        client = app.test_client()
        status_url = f"/orders/{callbacks[0]['request_id']}/status"
        calls = {
            "form": lambda n: client.get("/"),
            "status": lambda n: client.get(status_url),
            "callback": lambda n: client.post("/callback", json=callbacks[n]),
        }
        call = calls[args.endpoint]
        for n in range(args.requests, args.requests + 50):  # warm up on spare orders
            call(n)
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for n in range(args.requests):
            call(n)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()

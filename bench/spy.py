"""Sample the served checkout with py-spy under load, and rank where its CPU time goes.

Usage: `.venv/bin/python -m bench.spy form|status|callback [--seconds 15]` (PostgreSQL with
BENCH_DATABASE_URL, else SQLite; `pip install -r requirements-dev.txt` brings py-spy).

Starts the checkout under gunicorn as `bench/run.py` does (2 sync workers), drives one
endpoint with wrk, and records every worker with `py-spy record --subprocesses` (idle
samples left out). It prints, for each part of the stack worth knowing (framework hooks,
ORM, logging, Babel, session, CSRF...), the share of busy samples spent inside it. Shares
overlap (the ORM runs inside the view, the driver inside the ORM): each is inclusive.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.run import APP_ENV, SERVINGS, gunicorn, lua_posts, prepare_database

LEAVES = 12  # innermost frames listed
# Installed beside this Python by requirements-dev.txt.
PY_SPY = str(Path(sys.executable).with_name("py-spy"))
# (label, text that a frame of that part contains); frames read `function (path:line)`.
PARTS = [
    ("view function", "full_dispatch_request"),
    ("before_request hooks", "preprocess_request"),
    ("after_request hooks", "process_response"),
    ("  request log line (logs.log_request)", "log_request (checkout/logs.py"),
    ("  security headers", "add_security_headers"),
    ("  session cookie save", "save_session"),
    ("session open", "open_session"),
    ("CSRF check (Flask-WTF protect)", "protect (flask_wtf"),
    ("Babel / locale", "babel"),
    ("logging module", "logging/__init__.py"),
    ("Jinja templates", "jinja2"),
    ("SQLAlchemy ORM", "sqlalchemy/orm"),
    ("SQLAlchemy (all)", "sqlalchemy/"),
    ("  commit", "_commit_impl"),
    ("  pool checkout / return", "sqlalchemy/pool"),
    ("psycopg driver", "psycopg/"),
    ("signature (checkout/signing.py)", "checkout/signing.py"),
    ("JSON", "json/"),
    ("Werkzeug request/response", "werkzeug/"),
    ("gunicorn worker", "gunicorn/"),
]


def record(endpoint: str, seconds: int, url: str, scratch: Path) -> Path:
    """Serve the checkout, load one endpoint with wrk and record it; return py-spy's output."""
    callbacks = prepare_database(url, orders=40000)
    output = scratch / "spy.txt"
    env = {**APP_ENV, "DATABASE_URL": url}
    with gunicorn("app:create_app()", env, SERVINGS["bench"]) as base:
        paths = {
            "form": ("/", None),
            "status": (f"/orders/{callbacks[0]['request_id']}/status", None),
            "callback": ("/callback", lua_posts("/callback", callbacks[1:], scratch / "c.lua")),
        }
        path, script = paths[endpoint]
        # The oldest process with that command line is the master; py-spy follows its workers.
        master = int(subprocess.check_output(["pgrep", "-o", "-f", "--", f"--bind {base[7:]}"]))
        load = ["wrk", "-t1", "-c8", f"-d{seconds + 4}s", base + path]
        if script:
            load[1:1] = ["-s", str(script)]
        with subprocess.Popen(load, stdout=subprocess.DEVNULL) as wrk:
            subprocess.run(
                [PY_SPY, "record", "--subprocesses", "--format", "raw", "--rate", "250"]
                + ["--duration", str(seconds), "--output", str(output), "--pid", str(master)],
                check=True,
                capture_output=True,
            )
            wrk.wait()
    return output


def shares(raw: Path) -> tuple[int, list[tuple[str, float]], list[tuple[str, float]]]:
    """Return the busy samples, each part's inclusive share of them, and the top leaves."""
    samples: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "(gunicorn/workers/sync.py" not in stack or "handle_request" not in stack:
            continue  # the master, and workers waiting for a connection
        total += int(count)
        leaves[stack.rpartition(";")[2]] += int(count)
        for label, marker in PARTS:
            if marker in stack:
                samples[label] += int(count)
    parts = [(label, samples[label] / total if total else 0.0) for label, _ in PARTS]
    return total, parts, [(leaf, n / total) for leaf, n in leaves.most_common(LEAVES)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint", choices=["form", "status", "callback"])
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch / 'spy.sqlite3'}"
        total, parts, leaves = shares(record(args.endpoint, args.seconds, url, scratch))
    engine = url.split(":", 1)[0].split("+")[0]
    print(f"checkout {args.endpoint} on {engine}: {total} busy samples in the workers")
    for label, share in parts:
        print(f"  {label:<40} {share:>6.1%}")
    print("where the samples were taken (innermost frame):")
    for leaf, share in leaves:
        print(f"  {share:>6.1%}  {leaf}")


if __name__ == "__main__":
    main()

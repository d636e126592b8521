"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py "app:create_app()"`.

Every setting can be overridden from the environment, so one file serves every machine.
"""

from __future__ import annotations

import glob
import multiprocessing
import os
import tempfile

# Loopback by default: the reverse proxy in front is the public face. A client reaching the
# workers directly could write its own X-Forwarded-For, which ProxyFix believes. Where the
# proxy runs on another machine, GUNICORN_BIND names an address only the proxy can reach.
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Sync workers, 2 × cores + 1: on a quiet 2-core machine they served callbacks as fast as
# one gthread worker per core × 4 threads (PostgreSQL: 709-713 vs 707 duplicates/s, 502-506
# vs 508 fresh/s) with lower p99 (17-27 vs 27-37 ms), and far lower on SQLite (one writer
# at a time: 16-83 vs 341-539 ms); docs/performance.md. GUNICORN_WORKER_CLASS=gthread
# serves GUNICORN_THREADS requests per process instead: nothing correctness depends on
# lives in a worker's memory, and each thread's request has its own database session.
# An empty value (as .env.example leaves them) means unset.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "sync"
# gunicorn makes any worker with more than one thread a gthread worker: sync ones get one.
threads = int(os.environ.get("GUNICORN_THREADS") or 4) if worker_class == "gthread" else 1
cores = multiprocessing.cpu_count()
workers = int(os.environ.get("WEB_CONCURRENCY") or (cores if threads > 1 else 2 * cores + 1))
# The app reads it too: it warns at start when per-process rate limits are split among workers.
os.environ["WEB_CONCURRENCY"] = str(workers)
# The gateway call has its own timeouts (GATEWAY_TIMEOUT); this only stops runaway workers.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never becomes an outage — rarely: a new
# worker spends about a second importing and warming up, and the benchmark showed every
# recycle as a stall of the requests queued behind it.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
# The app logs one structured line per request itself.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# gunicorn's control socket defaults to one path per user, shared by every gunicorn on the
# machine; the app needs none of it.
control_socket_disable = True
# Trust X-Forwarded-* only from the load balancer (the app's ProxyFix does the rest).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Metrics: each worker writes its counters to files in this directory and /metrics sums
# them (prometheus_client's multiprocess mode). It must be set before a worker imports the
# app, hence here. Dedicated to this gunicorn: emptied at start, so counts begin at zero.
metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(
    prefix="checkout-metrics-"
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir


def on_starting(server: object) -> None:
    """Empty the metrics directory: files of an earlier run would be summed with ours."""
    for path in glob.glob(os.path.join(metrics_dir, "*.db")):
        os.remove(path)


def child_exit(server: object, worker: object) -> None:
    """Drop a dead worker's live gauges; its counters stay, so totals never go backwards."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, metrics_dir)

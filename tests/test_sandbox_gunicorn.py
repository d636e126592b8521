"""No deadlock: under gunicorn with ONE sync worker, the app calls its own sandbox and the
sandbox calls back, and a whole checkout still completes.

One sync worker serves one request at a time, so a server that called its own public port
would wait for itself until the gateway time-out. The sandbox's loopback listener and its
background callback delivery must keep every step moving; bounded time-outs turn a
deadlock into a failure instead of a hang.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.conftest import close_app, make_app
from tests.sandbox_helpers import HTTP_TIMEOUT, iframe_src, start_checkout, wait_for_status

ROOT = Path(__file__).resolve().parent.parent
# Every request the test makes times out after HTTP_TIMEOUT (10 s), as does the app's own
# call to the gateway; the callback must land within CALLBACK_TIMEOUT.
CALLBACK_TIMEOUT = 20
START_TIMEOUT = 30
# Settings of the developer's shell that would point the app elsewhere.
FOREIGN_SETTINGS = (
    "GATEWAY_BASE_URL",
    "SANDBOX_ENABLED",
    "SANDBOX_REDIRECT",
    "SANDBOX_REDIRECT_METHODS",
    "SANDBOX_CALLBACK_URL",
    "CALLBACK_ALLOWED_NETWORKS",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(base: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # refused or slow while the worker boots
            pass
        assert process.poll() is None, "gunicorn exited:\n" + log_path.read_text()
        assert time.monotonic() < deadline, "gunicorn did not start:\n" + log_path.read_text()
        time.sleep(0.1)


@contextmanager
def one_sync_worker_serving(port: int, env: dict[str, str], log_path: Path) -> Iterator[None]:
    """Run `gunicorn -w 1 -k sync` on `port` with `env` until the block ends; log to a file."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers=1",
        "--worker-class=sync",
        # gunicorn reads ./gunicorn.conf.py, whose 4 threads would make the worker gthread.
        "--threads=1",
        f"--bind=127.0.0.1:{port}",
        "--no-control-socket",  # the default socket path is shared by every gunicorn
        "app:create_app()",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, log_path)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def one_sync_worker(tmp_path):
    """Serve the app with `gunicorn -w 1 -k sync` on a free port; yield its URL and log."""
    database_url = f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    close_app(make_app(database_url))  # the testing config builds no schema by itself
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {name: value for name, value in os.environ.items() if name not in FOREIGN_SETTINGS}
    env.update(
        APP_ENV="testing",
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=base,
        SANDBOX_CALLBACK_BACKOFF="0.2",
    )
    log_path = tmp_path / "gunicorn.log"
    with one_sync_worker_serving(port, env, log_path):
        yield base, log_path


def test_a_checkout_completes_under_one_sync_worker(one_sync_worker):
    base, log_path = one_sync_worker
    with requests.Session() as customer:
        location = start_checkout(base, customer, method="card")  # server → its own sandbox
        assert location.startswith("/pay/"), log_path.read_text()
        request_id = location.removeprefix("/pay/")
        form_url = iframe_src(base, customer, request_id)
        assert customer.get(form_url, timeout=HTTP_TIMEOUT).status_code == 200
        answer = customer.post(
            form_url, data={"decision": "pay"}, allow_redirects=False, timeout=HTTP_TIMEOUT
        )
        assert answer.status_code == 303
        assert answer.headers["Location"] == f"{base}/orders/{request_id}/success"
    # The sandbox's callback reaches /callback through the same single worker.
    assert wait_for_status(base, request_id, "paid", timeout=CALLBACK_TIMEOUT) == "paid", (
        log_path.read_text()
    )

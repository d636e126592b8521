"""Launching the app under gunicorn for tests: a free port, a health wait, one sync worker."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30
# Settings of the developer's shell that would point the app elsewhere.
FOREIGN_SETTINGS = (
    "GATEWAY_BASE_URL",
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

"""The delivery loop: due events first, housekeeping when idle, a clean stop on request.

`flask webhooks worker` runs it in the foreground (SIGTERM or Ctrl-C: the attempt under
way is finished and recorded, then it exits); under `flask run` in development it also
runs on a background thread of the web process, so the demo needs no second command.
"""

from __future__ import annotations

import os
import random
import socket
import threading

import structlog
from flask import Flask

from checkout.housekeeping import Housekeeper
from checkout.webhooks.client import DeliveryClient
from checkout.webhooks.delivery import client_for, deliver_due

log = structlog.get_logger(__name__)


def worker_name(suffix: str = "") -> str:
    """Return how attempts name the worker that made them: host, process, and a role."""
    return f"{socket.gethostname()}:{os.getpid()}{suffix}"


class Worker:
    """Delivers due events and runs the housekeeping until `stop` is set."""

    def __init__(self, app: Flask, name: str | None = None) -> None:
        self.app = app
        self.name = name or worker_name()
        self.stop = threading.Event()
        self.rng = random.Random()
        self.housekeeper = Housekeeper(app)

    def run(self, burst: bool = False) -> int:
        """Work until stopped, or with `burst` until nothing is due; return attempts made."""
        client = client_for(self.app.config)
        poll = self.app.config["WEBHOOK_POLL_INTERVAL"]
        attempts = 0
        log.info("webhook_worker_started", worker=self.name)
        try:
            while not self.stop.is_set():
                try:
                    with self.app.app_context():
                        made = self._deliver(client)
                        attempts += made
                        if made:
                            continue
                        self.housekeeper.run_due()
                except Exception:
                    # The database or the network may be away for a while: keep trying.
                    log.exception("webhook_worker_error", worker=self.name)
                if burst:
                    break
                self.stop.wait(poll)
        finally:
            client.close()
            log.info("webhook_worker_stopped", worker=self.name, attempts=attempts)
        return attempts

    def _deliver(self, client: DeliveryClient) -> int:
        if not self.app.config["MERCHANT_WEBHOOK_URL"]:
            return 0
        return deliver_due(client, self.name, self.rng, self.stop)


class InProcessWorker:
    """A worker on a daemon thread of the web process, started by the first request.

    Started lazily, once per process: a forked server process inherits the object but not
    the thread, and commands such as `flask orders` never serve a request.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._pid: int | None = None
        self.worker: Worker | None = None
        self.thread: threading.Thread | None = None

    def ensure_started(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self.worker = Worker(self.app, worker_name(":in-process"))
            self.thread = threading.Thread(
                target=self.worker.run, name="webhook-worker", daemon=True
            )
            self.thread.start()
            self._pid = os.getpid()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the thread after its current attempt (tests, and a clean shutdown)."""
        if self.worker is not None and self.thread is not None:
            self.worker.stop.set()
            self.thread.join(timeout)

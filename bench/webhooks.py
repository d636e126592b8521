"""Measure how many events one webhook worker delivers per second to a local receiver.

Usage: `.venv/bin/python bench/webhooks.py [--engine sqlite|postgresql] [--events 1000]`

Writes that many order.paid events to a fresh database, serves a receiver on loopback that
answers 204 at once (HTTP/1.1, so the worker's pooled connection is reused), and times one
worker (the loop `flask webhooks worker` runs) until every event is delivered. PostgreSQL
needs BENCH_DATABASE_URL (or TEST_DATABASE_URL); its tables are dropped and rebuilt.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from checkout.extensions import db  # noqa: E402
from checkout.models import Order  # noqa: E402
from checkout.webhooks import outbox  # noqa: E402
from checkout.webhooks.models import DeliveryState, EventType, WebhookEvent  # noqa: E402
from checkout.webhooks.worker import Worker  # noqa: E402
from config import DEV_WEBHOOK_SECRET, TestingConfig  # noqa: E402


class Receiver(BaseHTTPRequestHandler):
    """Reads the event and answers 204 at once, keeping the connection open."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""


def database_url(engine: str, folder: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{folder}/bench.sqlite3"
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url:
        raise SystemExit("PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--events", type=int, default=1000)
    options = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            TestingConfig,
            {
                "SQLALCHEMY_DATABASE_URI": database_url(options.engine, folder),
                "MERCHANT_WEBHOOK_URL": f"http://127.0.0.1:{server.server_port}/hooks",
                "MERCHANT_WEBHOOK_SECRET": DEV_WEBHOOK_SECRET,
            },
        )
        # One log line per attempt is what production writes too, but not to this terminal.
        app.logger.setLevel(logging.WARNING)
        with app.app_context():
            db.drop_all()
            db.create_all()
            orders = [
                Order(
                    submission_token=secrets.token_hex(16),
                    amount=9000,
                    currency="KZT",
                    method="card",
                    language="EN",
                    site_login="bench",
                    customer_type="regular",
                    status="paid",
                )
                for _ in range(options.events)
            ]
            db.session.add_all(orders)
            db.session.flush()
            for order in orders:
                outbox.enqueue(order, EventType.PAID)
            db.session.commit()

        started = time.perf_counter()
        attempts = Worker(app, "bench").run(burst=True)
        elapsed = time.perf_counter() - started

        with app.app_context():
            delivered = db.session.query(WebhookEvent).filter_by(state=DeliveryState.DELIVERED)
            count = delivered.count()
            db.session.rollback()  # end the read before dropping what it read
            db.drop_all()
            db.engine.dispose()
    server.shutdown()
    print(
        f"{options.engine}: {count}/{options.events} events delivered in {attempts} attempts, "
        f"{elapsed:.2f} s: {count / elapsed:.0f} events/s, {1000 * elapsed / count:.2f} ms each"
    )


if __name__ == "__main__":
    main()

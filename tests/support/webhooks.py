"""Shared by the webhook tests: settings, a worker run, and reading the outbox."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from checkout.extensions import db
from checkout.webhooks.models import WebhookEvent
from checkout.webhooks.worker import Worker

SECRET = "whsec_" + base64.b64encode(b"a test secret of 32 bytes, random").decode()
# Where no webhook is ever received: outbox tests only look at what was written.
NOWHERE = "http://127.0.0.1:9/hooks"


def webhook_settings(url: str = NOWHERE, **overrides: Any) -> dict[str, Any]:
    """Return app settings that send webhooks to `url`, retrying at once by default."""
    return {
        "MERCHANT_WEBHOOK_URL": url,
        "MERCHANT_WEBHOOK_SECRET": SECRET,
        "WEBHOOK_RETRY_DELAYS": [0, 0, 0],
        "WEBHOOK_TIMEOUT": 2.0,
        "WEBHOOK_CONNECT_TIMEOUT": 1.0,
        **overrides,
    }


def outbox(app: Flask) -> list[WebhookEvent]:
    """Return every event in the outbox, oldest first, with its attempts."""
    with app.app_context():
        query = (
            select(WebhookEvent)
            .options(selectinload(WebhookEvent.attempt_log))
            .order_by(WebhookEvent.id)
        )
        return list(db.session.scalars(query))


def payload(event: WebhookEvent) -> dict[str, Any]:
    return json.loads(event.payload)


def deliver_due(app: Flask) -> int:
    """Run a worker until nothing is due; return the attempts it made."""
    return Worker(app, "test-worker").run(burst=True)


ROOT = Path(__file__).resolve().parents[2]


def worker_environment(database_url: str, webhook_url: str, **extra: str) -> dict[str, str]:
    """Return the environment of a `flask webhooks worker` process for these tests."""
    return {
        **os.environ,
        "APP_ENV": "testing",
        "DATABASE_URL": database_url,
        "MERCHANT_WEBHOOK_URL": webhook_url,
        "MERCHANT_WEBHOOK_SECRET": SECRET,
        "WEBHOOK_RETRY_DELAYS": "0,0,0",
        "WEBHOOK_POLL_INTERVAL": "0.05",
        "FLASK_APP": "app:create_app()",
        **extra,
    }


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start `flask webhooks worker`, its output appended to `log`."""
    with log.open("a") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "webhooks", "worker"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

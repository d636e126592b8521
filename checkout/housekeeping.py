"""Periodic chores run by the webhook workers, so production needs no cron.

Any part of the app registers a task with `register`; every worker offers to run each task
when its interval has passed, and a compare-and-set on the task's row lets exactly one of
them — on any machine — take each turn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from checkout.checkouts import expire_due_checkouts
from checkout.commands import parse_duration
from checkout.expiry import expire_stale_orders
from checkout.extensions import db
from checkout.idempotency import purge_keys
from checkout.models import utcnow
from checkout.repository import housekeeping as turns

log = structlog.get_logger(__name__)

EXTENSION = "housekeeping"


@dataclass(frozen=True)
class Task:
    """A chore, how often it runs, and what it does (returning a line for the log)."""

    name: str
    interval: timedelta
    run: Callable[[], str]


def register(app: Flask, name: str, run: Callable[[], str], interval: timedelta) -> None:
    """Have the workers run `run` every `interval`, once across all of them."""
    app.extensions.setdefault(EXTENSION, {})[name] = Task(name, interval, run)


def registered(app: Flask) -> list[Task]:
    """Return the registered tasks."""
    return list(app.extensions.get(EXTENSION, {}).values())


def take_turn(task: Task, now: datetime | None = None) -> bool:
    """Claim this interval's run of a task; return whether this caller got it. Commits."""
    now = now or utcnow()
    taken = turns.take_turn(task.name, now - task.interval, now)
    db.session.commit()
    if taken or turns.exists(task.name):
        return taken
    try:  # the task's first run anywhere: whoever inserts its row takes the turn
        turns.insert_first_turn(task.name, now)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


class Housekeeper:
    """Offers each registered task a turn once its interval has passed in this process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.next_offer: dict[str, float] = {}

    def run_due(self) -> None:
        """Run the tasks whose turn this process takes now (inside an app context)."""
        for task in registered(self.app):
            now = time.monotonic()
            if self.next_offer.get(task.name, 0.0) > now:
                continue
            self.next_offer[task.name] = now + task.interval.total_seconds()
            if not take_turn(task):
                continue
            try:
                summary = task.run()
            except Exception:
                db.session.rollback()
                log.exception("housekeeping_failed", task=task.name)
                continue
            log.info("housekeeping", task=task.name, summary=summary)


def expire_orders() -> str:
    """Close orders older than ORDERS_EXPIRE_AFTER, as `flask orders expire` does: pending
    ones expire, and those stuck in created (their gateway call never finished) fail."""
    report = expire_stale_orders(parse_duration(current_app.config["ORDERS_EXPIRE_AFTER"]))
    return f"expired={report.expired} failed={report.failed} skipped={report.skipped}"


def expire_checkouts() -> str:
    """Expire the checkouts whose time is up (as `flask checkouts housekeeping`)."""
    return f"expired={expire_due_checkouts()}"


def purge_idempotency_keys() -> str:
    """Forget Idempotency-Keys older than they are kept (as `flask checkouts housekeeping`)."""
    return f"purged={purge_keys()}"


def init_app(app: Flask) -> None:
    """Register the chores of the orders and of the Checkouts API."""
    interval = timedelta(seconds=app.config["HOUSEKEEPING_INTERVAL"])
    register(app, "expire_orders", expire_orders, interval)
    register(app, "expire_checkouts", expire_checkouts, interval)
    register(app, "purge_idempotency_keys", purge_idempotency_keys, interval)

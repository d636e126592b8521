"""Health for load balancers and orchestrators: `/livez`, `/healthz` and `/readyz`.

`/livez` touches nothing outside the process, so a database outage never gets healthy
workers restarted; `/healthz` is the public contract's liveness-and-database check;
`/readyz` says whether this instance should receive traffic now.
"""

from __future__ import annotations

import structlog
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, current_app, jsonify
from limits.storage import storage_from_string
from werkzeug.wrappers import Response

from checkout import errors, repository
from checkout.extensions import db

log = structlog.get_logger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez() -> Response:
    """Answer that the process serves requests; nothing more, so it stays cheap."""
    return jsonify(status="ok")


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Answer that the process serves requests and its database answers (the contract's check)."""
    if database_answers():
        return jsonify(status="ok", database="ok"), 200
    log.error("healthz_database_unavailable")
    return jsonify(status="error", database="unavailable"), 503


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Answer 200 when the database answers at the schema's head revision and the shared
    rate-limit storage (when one is configured) answers; 503 naming what does not."""
    checks = {"database": "ok", "migrations": check_migrations()}
    if checks["migrations"] == "unavailable":
        checks["database"] = checks.pop("migrations")
    if not current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        checks["rate_limit_storage"] = check_rate_limit_storage()
    ready = all(state == "ok" for state in checks.values())
    if not ready:
        log.warning("not_ready", checks=checks)
    return jsonify(status="ready" if ready else "not_ready", checks=checks), 200 if ready else 503


def check_migrations() -> str:
    """Return `ok` when the database is at the migrations' head, else what is wrong.

    One query: reading the stored revision also proves the database answers.
    """
    try:
        stored = repository.stored_revisions()
    except Exception:  # no answer, or no alembic_version table: told apart below
        db.session.rollback()
        return "not_migrated" if database_answers() else "unavailable"
    return "ok" if stored == head_revisions() else "not_at_head"


def database_answers() -> bool:
    """Tell whether the database answers one trivial query; any failure means no."""
    try:
        repository.ping()
    except Exception:  # any failure means "not ready", never a 500
        db.session.rollback()
        return False
    return True


def head_revisions() -> set[str]:
    """Return the head revisions of the migrations shipped with this code (read once)."""
    heads = current_app.extensions.get("migration_heads")
    if heads is None:
        directory = current_app.extensions["migrate"].directory
        heads = set(ScriptDirectory(directory).get_heads())
        current_app.extensions["migration_heads"] = heads
    return heads


def check_rate_limit_storage() -> str:
    """Return `ok` when the shared store of the rate limits answers a ping.

    Its own client per app: the limiter's belongs to whichever app was set up last in
    this process, and exists only while limiting is on.
    """
    storage = current_app.extensions.get("readiness_storage")
    if storage is None:
        uri = current_app.config["RATELIMIT_STORAGE_URI"]
        storage = current_app.extensions["readiness_storage"] = storage_from_string(uri)
    try:
        return "ok" if storage.check() else "unavailable"
    except Exception:  # a storage that raises instead of answering False
        return "unavailable"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # Probes read JSON, errors included.
    errors.answer_errors(app, bp.name)

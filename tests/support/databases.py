"""Doing to PostgreSQL what an operator or an outage would."""

from __future__ import annotations

import psycopg


def drop_other_connections(url: str) -> int:
    """Make PostgreSQL end every other session on our database, as a restart would."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)

"""SQLite is tuned for concurrent requests on our engine, and on no other in the process."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, text

from checkout.extensions import db

PRAGMAS = ("journal_mode", "busy_timeout", "synchronous")


def pragmas(connection) -> tuple:
    return tuple(connection.execute(text(f"PRAGMA {name}")).scalar() for name in PRAGMAS)


def test_our_engine_is_tuned(app):
    with app.app_context(), db.engine.connect() as connection:
        # WAL, a 30 s wait for the writer's lock, and FULL (2): every commit on disk.
        assert pragmas(connection) == ("wal", 30000, 2)


def test_another_engine_in_the_process_is_left_alone(app, tmp_path):
    plain = sqlite3.connect(tmp_path / "plain.sqlite3")
    untouched = tuple(plain.execute(f"PRAGMA {name}").fetchone()[0] for name in PRAGMAS)
    plain.close()
    other = create_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        with other.connect() as connection:
            assert pragmas(connection) == untouched
    finally:
        other.dispose()
    assert untouched[0] == "delete"  # so the first test's "wal" is our doing

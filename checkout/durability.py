"""Commits that need not wait for the disk, because the next commit waits for both.

A stored callback must be on disk by the time we acknowledge it, not sooner. The commit
that records the outcome waits until the database's log is flushed up to itself, and
the log is one sequence — PostgreSQL's WAL, SQLite's WAL file — so that flush carries
every earlier commit with it. The store can therefore commit without its own flush: one
disk wait per callback instead of two, and nothing we answered is ever lost. If the
process dies in between, no answer went out and the gateway delivers again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection


@contextmanager
def flushed_by_next_commit(connection: Connection) -> Iterator[None]:
    """Let the transaction on `connection` commit without waiting for the disk."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # LOCAL: ends with this transaction; the connection goes back to the pool as it was.
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        yield
    elif dialect == "sqlite":
        connection.exec_driver_sql("PRAGMA synchronous = NORMAL")
        try:
            yield
        finally:
            if connection.in_transaction():
                connection.rollback()
            connection.exec_driver_sql("PRAGMA synchronous = FULL")
    else:
        yield

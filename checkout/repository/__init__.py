"""The data-access layer: the one place SQL statements are written.

One way to touch the database, everywhere (the core here, each plug-in in its own
`repository` module):

- Statements are SQLAlchemy statements on the ORM classes — `select`, `insert`, `update`,
  `delete` — built once, as named module constants with bound parameters, and run through
  `db.session`, so they join the caller's transaction. Only filters that vary with the
  request (the back office's lists) are composed per call.
- An INSERT or UPDATE takes the columns it writes from its parameters (`match_*` names
  select the rows), so one statement serves every set of columns.
- A write that gives back no object (a record, a timeline line, an outbox row) runs on
  the session's connection (`write_rows`): the same transaction, without the ORM's
  handling of objects, which cost a callback about a third of its CPU.
- Nothing is written by flushing changed objects: a write is always a statement you can
  read, and a compare-and-set is its WHERE clause.
- A statement that changes a row the caller holds `RETURNING`s it, and the held object is
  refreshed from that row: it shows the change exactly when the database applied it.
- A read that stands alone on a hot path (the status poll) may run outside any
  transaction (`read_first`): one statement needs neither BEGIN nor ROLLBACK.
- Repositories never commit and decide nothing: the services (orders, callbacks,
  checkouts, webhooks...) choose what to change and where the transaction ends.
"""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Executable, Result, Row, Select, select, text

from checkout.extensions import db

# The session leaves loaded objects alone on UPDATE and DELETE (it cannot evaluate bound
# parameters in Python); the rows a statement RETURNs replace the loaded objects' values.
WRITE_OPTIONS = {"synchronize_session": False, "populate_existing": True}


def write(
    statement: Executable, params: dict[str, Any] | list[dict[str, Any]] | None = None
) -> Result[Any]:
    """Run an INSERT, UPDATE or DELETE in the current transaction (a list: once per item)."""
    return db.session.execute(statement, params or {}, execution_options=WRITE_OPTIONS)


def write_rows(statement: Executable, params: dict[str, Any] | list[dict[str, Any]]) -> Result[Any]:
    """Run an INSERT or UPDATE that gives back no object (plain columns at most) in the
    current transaction, on the session's connection (a list: once per item)."""
    return db.session.connection().execute(statement, params)


def read_first(statement: Executable, params: dict[str, Any]) -> Row[Any] | None:
    """Return the first row of one read, run on its own connection outside any transaction."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.execute(statement, params).first()


# The back office's lists (orders, checkouts, webhook events) show this many rows a page.
PER_PAGE = 50
# The largest integer every database takes (BIGINT): limits and offsets must stay within it.
MAX_SQL_INT = 2**63 - 1
MAX_PAGE = MAX_SQL_INT // PER_PAGE


def page_of(query: Select[Any], page: int) -> Pagination:
    """Return one page of a list's rows, counted and cut by the database.

    A page past the last is empty, never a 404: the list's own page says so.
    """
    return db.paginate(query, page=max(page, 1), per_page=PER_PAGE, error_out=False)


def reload(instance: Any) -> None:
    """Read an object's row again: another process changed it since it was loaded."""
    db.session.refresh(instance)


PING = select(1)


def ping() -> None:
    """Run the cheapest statement there is, to prove the database answers."""
    db.session.execute(PING)


# Alembic's own table, which no model maps.
STORED_REVISIONS = text("SELECT version_num FROM alembic_version")


def stored_revisions() -> set[str]:
    """Return the migration revisions the database says it is at."""
    return set(db.session.scalars(STORED_REVISIONS))

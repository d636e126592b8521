"""Stored callbacks (`callbacks`): every statement that reads or writes them.

A callback being processed is a `CallbackRecord` kept out of the session: it is written
only by these statements, so it survives the rollback of a processing that failed.
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, or_, select, update

from checkout.extensions import db
from checkout.models import CallbackRecord, Order
from checkout.repository import write_rows

STORED_COLUMNS = (
    "received_at",
    "source_ip",
    "content_type",
    "headers",
    "body",
    "body_truncated",
    "request_id",
    "gateway_status",
    "order_id",
    "outcome",
    "detail",
    "http_request_id",
)
FINDINGS = ("outcome", "detail", "request_id", "gateway_status", "order_id")

INSERT_RECORD = insert(CallbackRecord).returning(CallbackRecord.id)
UPDATE_RECORD = update(CallbackRecord).where(CallbackRecord.id == bindparam("match_id"))
ABOUT_ORDER = select(CallbackRecord).where(
    or_(
        CallbackRecord.order_id == bindparam("order_id"),
        CallbackRecord.request_id == bindparam("request_id"),
    )
)


def insert_record(record: CallbackRecord) -> int:
    """Insert the record as it stands and return its id."""
    values = {column: getattr(record, column) for column in STORED_COLUMNS}
    record_id: int = write_rows(INSERT_RECORD, values).scalar_one()
    return record_id


def write_findings(record: CallbackRecord) -> None:
    """Write what processing learnt (outcome, detail, order...) onto the stored record."""
    findings = {column: getattr(record, column) for column in FINDINGS}
    write_rows(UPDATE_RECORD, {"match_id": record.id, **findings})


def find(record_id: int) -> CallbackRecord | None:
    """Return the stored callback with this id, or None."""
    return db.session.get(CallbackRecord, record_id)


def naming(order: Order) -> list[CallbackRecord]:
    """Return the callbacks about an order, also those refused before it was looked up."""
    params = {"order_id": order.id, "request_id": order.request_id}
    return list(db.session.scalars(ABOUT_ORDER, params))

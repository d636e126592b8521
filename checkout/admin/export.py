"""Orders as CSV for spreadsheets and accounting: exact amounts, nothing a spreadsheet runs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from checkout.models import Order
from checkout.money import format_plain

COLUMNS = (
    "request_id",
    "created_at",
    "status",
    "amount",
    "amount_minor",
    "currency",
    "method",
    "site_login",
    "customer_type",
    "language",
    "bank_app",
    "paid_at",
    "updated_at",
    "review_reason",
)
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def defuse(value: str) -> str:
    """Keep a spreadsheet from running text as a formula (OWASP's leading-quote defence)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def timestamp(value: datetime | None) -> str:
    """Return a stored UTC time as ISO 8601 with its zone, or an empty cell."""
    return value.isoformat(timespec="seconds") + "Z" if value else ""


def order_row(order: Order) -> list[str | int]:
    """Return one order as CSV cells, in the order of COLUMNS."""
    text = {
        "request_id": order.request_id,
        "status": order.status,
        "currency": order.currency,
        "method": order.method or "",
        "site_login": order.site_login,
        "customer_type": order.customer_type,
        "language": order.language,
        "bank_app": order.bank_app or "",
        "review_reason": order.review_reason or "",
    }
    row: dict[str, str | int] = {name: defuse(value) for name, value in text.items()}
    row.update(
        created_at=timestamp(order.created_at),
        paid_at=timestamp(order.paid_at),
        updated_at=timestamp(order.updated_at),
        amount=format_plain(order.amount, order.currency),
        amount_minor=order.amount,
    )
    return [row[name] for name in COLUMNS]


def iter_csv(orders: Iterable[Order]) -> Iterator[str]:
    """Yield the CSV text line by line (header first), so large exports can be streamed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield flush()
    for order in orders:
        writer.writerow(order_row(order))
        yield flush()

"""Finding orders for people: the filters, pages and totals shared by /admin and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, func, or_, select

from checkout.extensions import db
from checkout.models import Order, OrderStatus

PER_PAGE = 50
STREAM_BATCH = 500
# The largest integer every database takes (BIGINT): limits and offsets must stay within it.
MAX_SQL_INT = 2**63 - 1
MAX_PAGE = MAX_SQL_INT // PER_PAGE


def is_searchable(term: str) -> bool:
    """Tell whether a search term can be sent to every database and match anything.

    PostgreSQL refuses NUL in text and no driver sends a lone surrogate; logins are
    printable (the form refuses others) and request_ids are base32, so nothing else can
    match either.
    """
    return term.isprintable()


@dataclass(frozen=True)
class OrderFilter:
    """Which orders to show; a field left empty matches every order."""

    status: OrderStatus | None = None
    method: str | None = None
    currency: str | None = None
    since: datetime | None = None  # created at or after, UTC
    until: datetime | None = None  # created before, UTC
    search: str | None = None  # a request_id (or its beginning) or part of a site_login
    flagged: bool = False

    def conditions(self) -> list[ColumnElement[bool]]:
        """Return the SQL conditions this filter stands for."""
        conditions: list[ColumnElement[bool]] = []
        if self.status:
            conditions.append(Order.status == self.status)
        if self.method:
            conditions.append(Order.method == self.method)
        if self.currency:
            conditions.append(Order.currency == self.currency.upper())
        if self.since:
            conditions.append(Order.created_at >= self.since)
        if self.until:
            conditions.append(Order.created_at < self.until)
        term = (self.search or "").strip()
        if term:
            # autoescape: a login with % or _ in it matches itself, not a pattern.
            conditions.append(
                or_(
                    Order.request_id.startswith(term, autoescape=True),
                    Order.site_login.icontains(term, autoescape=True),
                )
            )
        if self.flagged:
            conditions.append(Order.review_reason.is_not(None))
        return conditions


@dataclass(frozen=True)
class CurrencyTotal:
    """The paid orders of one currency: how many, and their sum in minor units."""

    currency: str
    orders: int
    amount: int


def select_orders(order_filter: OrderFilter) -> Select[tuple[Order]]:
    """Return the filtered orders, newest first."""
    return (
        select(Order)
        .where(*order_filter.conditions())
        .order_by(Order.created_at.desc(), Order.id.desc())
    )


def page_of_orders(order_filter: OrderFilter, page: int) -> Pagination:
    """Return one page of the filtered orders, counted and cut by the database."""
    return db.paginate(
        select_orders(order_filter),
        page=max(page, 1),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )


def first_orders(order_filter: OrderFilter, limit: int) -> list[Order]:
    """Return the newest `limit` filtered orders."""
    return list(db.session.scalars(select_orders(order_filter).limit(limit)))


def count_orders(order_filter: OrderFilter) -> int:
    """Return how many orders the filter matches."""
    query = select(func.count(Order.id)).where(*order_filter.conditions())
    return db.session.scalar(query) or 0


def iter_orders(order_filter: OrderFilter) -> Iterator[Order]:
    """Yield every filtered order, fetched in batches so an export never loads them all."""
    query = select_orders(order_filter).execution_options(yield_per=STREAM_BATCH)
    yield from db.session.scalars(query)


def paid_totals(order_filter: OrderFilter) -> list[CurrencyTotal]:
    """Return the paid orders among the filtered ones, summed per currency by the database."""
    query = (
        select(Order.currency, func.count(Order.id), func.sum(Order.amount))
        .where(*order_filter.conditions(), Order.status == OrderStatus.PAID)
        .group_by(Order.currency)
        .order_by(Order.currency)
    )
    # PostgreSQL sums BIGINT as NUMERIC: int() keeps minor units whole on every engine.
    return [
        CurrencyTotal(currency, int(orders), int(amount))
        for currency, orders, amount in db.session.execute(query)
    ]

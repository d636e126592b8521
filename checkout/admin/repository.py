"""The back office's statements: orders and checkouts found for people (filters, pages,
totals, shared by /admin and the CLI), and the admin account's session version."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    update,
)

from checkout.admin.models import AdminAccount
from checkout.extensions import db
from checkout.models import Checkout, CheckoutStatus, Order, OrderStatus
from checkout.repository import page_of, write

STREAM_BATCH = 500


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


def select_orders(order_filter: OrderFilter) -> Select[Order]:
    """Return the filtered orders, newest first."""
    return (
        select(Order)
        .where(*order_filter.conditions())
        .order_by(Order.created_at.desc(), Order.id.desc())
    )


def page_of_orders(order_filter: OrderFilter, page: int) -> Pagination:
    """Return one page of the filtered orders, counted and cut by the database."""
    return page_of(select_orders(order_filter), page)


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


@dataclass(frozen=True)
class CheckoutFilter:
    """Which checkouts to show; a field left empty matches every checkout."""

    status: CheckoutStatus | None = None
    login: str | None = None  # part of the site_login
    metadata: str | None = None  # part of the metadata's JSON text: a key or a value

    def select(self) -> Select[Checkout]:
        """Return the filtered checkouts, newest first."""
        query = select(Checkout).order_by(Checkout.id.desc())
        if self.status:
            query = query.where(Checkout.status == self.status)
        if self.login:
            query = query.where(Checkout.site_login.icontains(self.login, autoescape=True))
        if self.metadata:
            # The JSON as text: finds a key or a value, on SQLite and PostgreSQL alike.
            query = query.where(cast(Checkout.meta, Text).icontains(self.metadata, autoescape=True))
        return query


def page_of_checkouts(checkout_filter: CheckoutFilter, page: int) -> Pagination:
    """Return one page of the filtered checkouts."""
    return page_of(checkout_filter.select(), page)


SESSION_VERSION = select(AdminAccount.session_version).where(
    AdminAccount.account == bindparam("account")
)
INSERT_ACCOUNT = insert(AdminAccount)
# Computed by the database: two sign-outs at once both move the version on.
BUMP_SESSION_VERSION = (
    update(AdminAccount)
    .where(AdminAccount.account == bindparam("match_account"))
    .values(session_version=AdminAccount.session_version + 1)
)


def session_version(account: str) -> int | None:
    """Return the session version of an admin account, or None before its first sign-in."""
    return db.session.scalar(SESSION_VERSION, {"account": account})


def existing_session_version(account: str) -> int:
    """Return the session version of an admin account whose row is known to exist."""
    version: int = db.session.execute(SESSION_VERSION, {"account": account}).scalar_one()
    return version


def insert_account(account: str) -> None:
    """Create an admin account's row at version 1.

    :raise IntegrityError: when a sign-in on another worker created it first.
    """
    write(INSERT_ACCOUNT, {"account": account, "session_version": 1})


def bump_session_version(account: str) -> None:
    """Move the account to a new session version: every session issued before is revoked."""
    write(BUMP_SESSION_VERSION, {"match_account": account})

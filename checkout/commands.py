"""`flask orders ...`: the operator's commands — list, show, expire, replay and export."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from checkout import catalogue, safe_text
from checkout.admin import export, timeline
from checkout.admin import repository as admin_repository
from checkout.admin.repository import OrderFilter
from checkout.callback_replay import CallbackNotFound, replay
from checkout.checkout_commands import checkouts_cli
from checkout.expiry import expire_stale_orders, stale_orders
from checkout.models import CallbackOutcome, Order, OrderStatus, utcnow
from checkout.money import format_minor
from checkout.orders import get_order
from checkout.repository import MAX_SQL_INT

orders_cli = AppGroup("orders", help="Look after orders: list, show, expire, replay, export.")

DURATION_PATTERN = re.compile(r"\s*(?P<count>[0-9]{1,9})\s*(?P<unit>[smhd])\s*", re.IGNORECASE)
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# A century: any time that far back is still a date we can count.
LONGEST_DURATION = timedelta(days=36_500)


def parse_duration(text: str) -> timedelta:
    """Turn `30m`, `2h`, `45s` or `7d` into a timedelta.

    :raise ValueError: for anything else, or for zero.
    """
    match = DURATION_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 45s, 30m, 2h or 7d")
    duration = timedelta(**{UNITS[match["unit"].lower()]: int(match["count"])})
    if not duration:
        raise ValueError("the duration must be longer than zero")
    if duration > LONGEST_DURATION:
        raise ValueError(f"{text!r} is longer than {LONGEST_DURATION.days}d, surely a typo")
    return duration


class Duration(click.ParamType[timedelta, Any]):
    """A click parameter for a duration such as `30m`."""

    name = "duration"

    def convert(self, value: Any, param: Any, ctx: Any) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


class Moment(click.ParamType[datetime, Any]):
    """A click parameter for a UTC time: an ISO date or date-time, or a duration ago (`2h`).

    With `end_of_day`, a bare date means the end of that day, so `--until 2026-05-31`
    includes the 31st, like the back office's "To" date.
    """

    name = "time"

    def __init__(self, end_of_day: bool = False) -> None:
        self.end_of_day = end_of_day

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        if DURATION_PATTERN.fullmatch(text):
            try:
                return utcnow() - parse_duration(text)
            except ValueError as error:
                self.fail(str(error), param, ctx)
        try:
            if len(text) == 10:
                day = datetime.combine(date.fromisoformat(text), datetime.min.time())
                return day + timedelta(days=1) if self.end_of_day else day
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC).replace(tzinfo=None)
        except ValueError:
            self.fail(f"{text!r} is not a date, a date-time or a duration like 2h", param, ctx)
        except OverflowError:  # the day after 9999-12-31, or a zone shift past year 1 or 9999
            self.fail(f"{text!r} is at the edge of the calendar: choose a nearer time", param, ctx)
        return moment


def check_search(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse a search term no database can take (the back office refuses the same)."""
    if value is not None and not admin_repository.is_searchable(value):
        raise click.BadParameter("must not contain control characters", ctx, param)
    return value


def check_currency(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse anything but three ASCII letters."""
    if value is not None and not (len(value) == 3 and value.isascii() and value.isalpha()):
        raise click.BadParameter(f"'{printable(value)}' is not an ISO 4217 code", ctx, param)
    return value


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the orders filter options (the back office's filters) to a command."""
    options = [
        click.option("--status", type=click.Choice([status.value for status in OrderStatus])),
        click.option(
            "--method",
            type=click.Choice([method.code for method in catalogue.METHODS], case_sensitive=False),
        ),
        click.option("--currency", callback=check_currency, help="ISO 4217 code, e.g. KZT."),
        click.option("--since", type=Moment(), help="Created at or after: 2026-05-01 or 24h."),
        click.option("--until", type=Moment(end_of_day=True), help="Created up to: a date."),
        click.option(
            "--search",
            callback=check_search,
            help="A request_id (or its start) or part of a site_login.",
        ),
        click.option("--flagged", is_flag=True, help="Only orders flagged for review."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def make_filter(**options: Any) -> OrderFilter:
    """Return the orders filter the command-line options describe."""
    status = options.get("status")
    return OrderFilter(
        status=OrderStatus(status) if status else None,
        method=options.get("method"),
        currency=options.get("currency"),
        since=options.get("since"),
        until=options.get("until"),
        search=options.get("search"),
        flagged=bool(options.get("flagged")),
    )


def printable(text: str) -> str:
    """Escape control characters so text from outside cannot drive the operator's terminal."""
    return safe_text.escaped(text, keep="\n\t")


def when(moment: datetime | None) -> str:
    """Return a stored UTC time for the terminal."""
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "—"


def order_line(order: Order) -> str:
    """Return one order as a line of the list."""
    flag = "  ⚑ review" if order.review_reason else ""
    return (
        f"{order.created_at:%Y-%m-%d %H:%M}  {order.request_id:<22}  {order.status:<8}  "
        f"{format_minor(order.amount, order.currency):>16}  {order.method or '-':<12}  "
        f"{printable(order.site_login)}{flag}"
    )


@orders_cli.command("list")
@filter_options
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=MAX_SQL_INT),
    default=50,
    show_default=True,
)
def list_command(limit: int, **options: Any) -> None:
    """List orders, newest first, with paid totals."""
    order_filter = make_filter(**options)
    orders = admin_repository.first_orders(order_filter, limit)
    total = admin_repository.count_orders(order_filter)
    click.echo(
        f"{'CREATED (UTC)':<16}  {'REQUEST_ID':<22}  {'STATUS':<8}  {'AMOUNT':>16}  "
        f"{'METHOD':<12}  LOGIN"
    )
    for order in orders:
        click.echo(order_line(order))
    click.echo(f"\n{len(orders)} of {total} order(s) shown.")
    for item in admin_repository.paid_totals(order_filter):
        click.echo(
            f"Paid {item.currency}: {format_minor(item.amount, item.currency)} ({item.orders})"
        )


@orders_cli.command("show")
@click.argument("request_id")
def show_command(request_id: str) -> None:
    """Show one order and its whole timeline."""
    # No database takes text with a NUL or a lone surrogate (undecodable bytes in argv).
    order = get_order(request_id) if request_id.isprintable() else None
    if order is None:
        raise click.ClickException(f"No order with request_id '{printable(request_id)}'.")
    facts = {
        "status": order.status,
        "amount": f"{format_minor(order.amount, order.currency)} ({order.amount} minor units)",
        "login": printable(order.site_login),
        "customer type": order.customer_type,
        "method": order.method or "chosen on the payment page",
        "bank app": order.bank_app or "—",
        "language": order.language,
        "created": when(order.created_at),
        "last change": when(order.updated_at),
        "paid": when(order.paid_at),
        "gateway key": order.gateway_key or "—",
    }
    if order.redirect_url:
        facts["redirect url"] = printable(order.redirect_url)
    if order.error:
        facts["error"] = printable(order.error)
    if order.review_reason:
        facts["REVIEW"] = printable(order.review_reason)
    click.echo(f"Order {order.request_id}")
    for name, value in facts.items():
        click.echo(f"  {name:<13} {value}")
    click.echo("\nTimeline")
    for entry in timeline.order_timeline(order):
        click.echo(entry_text(entry))


def entry_text(entry: timeline.TimelineEntry) -> str:
    """Return a timeline entry as indented terminal text."""
    head = f"  {when(entry.at)}  {entry.title}"
    if entry.event is not None and entry.event.to_status:
        change = f"{entry.event.from_status} → " if entry.event.from_status else "→ "
        head += f"  [{change}{entry.event.to_status}]"
    lines = [head]
    callback = entry.callback
    if callback is not None:
        lines.append(
            f"      outcome {callback.outcome}"
            + (f" ({printable(callback.detail)})" if callback.detail else "")
            + (f", status {printable(callback.gateway_status)}" if callback.gateway_status else "")
            + f", from {callback.source_ip or 'unknown'}"
        )
    payload = entry.detail_text or entry.body_text
    if payload:
        lines += ["      " + line for line in printable(payload).splitlines()]
    return "\n".join(lines)


@orders_cli.command("expire")
@click.option(
    "--older-than",
    "older_than",
    type=Duration(),
    required=True,
    help="How long an order may stay pending (or created): 45s, 30m, 2h, 7d.",
)
@click.option("--dry-run", is_flag=True, help="Only list the orders that would be closed.")
def expire_command(older_than: timedelta, dry_run: bool) -> None:
    """Expire orders pending too long; fail those whose gateway call never finished (cron)."""
    gateway_call = current_app.config["GATEWAY_TIMEOUT"]
    if older_than.total_seconds() <= gateway_call:
        # A younger `created` order may still be waiting for the gateway's answer.
        raise click.BadParameter(
            f"must be longer than GATEWAY_TIMEOUT ({gateway_call:g} s), the longest a "
            "gateway call lasts",
            param_hint="'--older-than'",
        )
    if dry_run:
        stale = stale_orders(older_than)
        for order in stale:
            click.echo(order_line(order))
        click.echo(f"{len(stale)} order(s) would be closed.")
        return
    report = expire_stale_orders(older_than)
    click.echo(f"Expired {report.expired} order(s).")
    if report.failed:
        click.echo(f"Failed {report.failed} order(s) whose gateway call never finished.")
    if report.skipped:
        click.echo(f"{report.skipped} order(s) changed meanwhile and were left as they are.")


@orders_cli.command("replay")
@click.argument("callback_id", type=click.IntRange(min=1, max=MAX_SQL_INT))
def replay_command(callback_id: int) -> None:
    """Re-process a stored callback (idempotent)."""
    try:
        result = replay(callback_id)
    except CallbackNotFound:
        raise click.ClickException(f"No stored callback #{callback_id}.") from None
    if result.outcome == CallbackOutcome.ERROR:
        raise click.ClickException(
            f"callback #{callback_id} could not be processed ({printable(result.message or '')}); "
            f"the attempt is stored as #{result.record.id} with outcome error."
        )
    message = f" ({printable(result.message)})" if result.message else ""
    click.echo(
        f"Callback #{callback_id} replayed as #{result.record.id}: {result.outcome}{message}"
    )
    if result.message is not None:
        raise click.exceptions.Exit(1)


@orders_cli.command("export")
@filter_options
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default="-",
    show_default=True,
    help="CSV file to write; - for standard output.",
)
def export_command(output: str, **options: Any) -> None:
    """Export the filtered orders as CSV."""
    lines = export.iter_csv(admin_repository.iter_orders(make_filter(**options)))
    if output == "-":
        for line in lines:
            click.echo(line, nl=False)
        return
    rows = -1  # the header is not an order
    with open(output, "w", encoding="utf-8", newline="") as file:
        for line in lines:
            file.write(line)
            rows += 1
    click.echo(f"Wrote {rows} order(s) to {output}.", err=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(orders_cli)
    app.cli.add_command(checkouts_cli)

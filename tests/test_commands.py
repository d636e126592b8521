"""`flask orders ...`: list, show, expire, replay and export, on the shared queries."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from checkout.commands import parse_duration
from checkout.expiry import ExpiryReport, expire_orders, stale_orders
from checkout.extensions import db
from checkout.models import CallbackRecord, Order, OrderEvent, utcnow
from checkout.orders import get_order
from tests.support.callbacks import callback_for
from tests.support.orders import make_order


def new_order(app, status: str = "pending", **fields: object) -> str:
    """Create an order; return its request_id."""
    with app.app_context():
        return make_order(status, **fields).request_id


def status_of(app, request_id: str) -> str:
    with app.app_context():
        return get_order(request_id).status


def deliver(app, client, request_id: str, **overrides: object) -> None:
    """Post a signed callback about the order to /callback, as the gateway would."""
    with app.app_context():
        fields = callback_for(app, get_order(request_id))
    client.post("/callback", json={**fields, **overrides})


def callback_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(CallbackRecord.id).order_by(CallbackRecord.id)))


def invoke(runner, *args: str):
    return runner.invoke(args=["orders", *args])


# list / show / export


@pytest.fixture
def shop(app) -> dict[str, str]:
    """Three orders on three days; their request_ids by login."""
    return {
        "alice": new_order(app, "paid", site_login="alice", created_at=datetime(2026, 5, 1)),
        "bob": new_order(
            app, "failed", site_login="bob", currency="USD", created_at=datetime(2026, 5, 2)
        ),
        "carol": new_order(app, "pending", site_login="carol", created_at=datetime(2026, 5, 3)),
    }


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], ["carol", "bob", "alice"]),
        (["--status", "paid"], ["alice"]),
        (["--currency", "usd"], ["bob"]),
        (["--since", "2026-05-02"], ["carol", "bob"]),
        (["--until", "2026-05-02"], ["bob", "alice"]),
        (["--search", "car"], ["carol"]),
        (["--limit", "2"], ["carol", "bob"]),
    ],
)
def test_list_prints_the_filtered_orders_newest_first(runner, shop, options, expected):
    result = invoke(runner, "list", *options)
    assert result.exit_code == 0
    printed = [line.split()[2] for line in result.output.splitlines() if line.startswith("2026")]
    assert printed == [shop[login] for login in expected]


def test_list_prints_paid_totals(runner, shop):
    assert "Paid KZT: KZT\xa090.00 (1)" in invoke(runner, "list").output


def test_show_prints_the_timeline_with_callbacks(app, client, runner, shop):
    deliver(app, client, shop["carol"])
    result = invoke(runner, "show", shop["carol"])
    assert result.exit_code == 0
    assert "outcome accepted" in result.output
    assert "Status changed by a callback  [pending → paid]" in result.output
    assert f'"request_id": "{shop["carol"]}"' in result.output


def test_show_escapes_control_characters_from_outside(app, runner):
    request_id = new_order(app, site_login="evil\x1b[2Jlogin")
    output = invoke(runner, "show", request_id).output
    assert "\x1b" not in output
    assert "evil\\x1b[2Jlogin" in output


def test_show_unknown_order_fails(runner):
    result = invoke(runner, "show", "nope")
    assert result.exit_code == 1
    assert "No order with request_id 'nope'" in result.output


def test_export_writes_the_filtered_orders_as_csv(runner, shop, tmp_path):
    target = tmp_path / "orders.csv"
    result = invoke(runner, "export", "--status", "paid", "--output", str(target))
    assert result.exit_code == 0
    with open(target, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [(row["request_id"], row["amount"], row["amount_minor"]) for row in rows] == [
        (shop["alice"], "90.00", "9000")
    ]


def test_export_writes_csv_to_standard_output_by_default(runner, shop):
    result = invoke(runner, "export", "--status", "paid")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.output.splitlines()))
    assert [row["request_id"] for row in rows] == [shop["alice"]]


# expire


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("45s", timedelta(seconds=45)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        (" 10M ", timedelta(minutes=10)),
    ],
)
def test_durations_accept_seconds_minutes_hours_and_days(text, duration):
    assert parse_duration(text) == duration


@pytest.mark.parametrize("text", ["30", "m", "0m", "-5m", "1w", "1.5h", "", "30 minutes"])
def test_expire_refuses_a_duration_it_cannot_read(runner, text):
    assert invoke(runner, "expire", "--older-than", text).exit_code == 2


def test_expire_closes_only_stale_pending_and_created_orders(app, runner):
    hour_ago = utcnow() - timedelta(hours=1)
    stale = new_order(app, "pending", created_at=hour_ago)
    fresh = new_order(app, "pending", created_at=utcnow() - timedelta(minutes=5))
    paid = new_order(app, "paid", created_at=hour_ago)
    abandoned = new_order(app, "created", created_at=hour_ago, gateway_key=None)
    calling = new_order(app, "created", created_at=utcnow() - timedelta(minutes=5))
    result = invoke(runner, "expire", "--older-than", "30m")
    assert result.exit_code == 0
    assert "Expired 1 order(s)." in result.output
    assert "Failed 1 order(s) whose gateway call never finished." in result.output
    assert [status_of(app, order) for order in (stale, fresh, paid, abandoned, calling)] == [
        "expired",
        "pending",
        "paid",
        "failed",
        "created",
    ]


def test_expire_says_why_an_abandoned_order_failed(app, runner):
    request_id = new_order(app, "created", created_at=utcnow() - timedelta(hours=2))
    invoke(runner, "expire", "--older-than", "1h")
    with app.app_context():
        order = get_order(request_id)
        event = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id))
        assert order.error == "no payment key: the gateway call never finished (3600 s)"
    assert (event.kind, event.from_status, event.to_status) == ("abandoned", "created", "failed")
    assert event.detail == {"created_longer_than_seconds": 3600}


@pytest.mark.parametrize("older_than", ["1s", "10s"])
def test_expire_refuses_a_threshold_a_gateway_call_may_still_be_within(app, runner, older_than):
    """GATEWAY_TIMEOUT is 10 s: an order created 5 s ago may still get its key."""
    request_id = new_order(app, "created", created_at=utcnow() - timedelta(seconds=5))
    result = invoke(runner, "expire", "--older-than", older_than)
    assert result.exit_code == 2
    assert (
        "Error: Invalid value for '--older-than': must be longer than GATEWAY_TIMEOUT (10 s)"
        in (result.output)
    )
    assert status_of(app, request_id) == "created"


def test_expire_records_the_change_on_the_timeline(app, runner):
    request_id = new_order(app, "pending", created_at=utcnow() - timedelta(days=2))
    invoke(runner, "expire", "--older-than", "1d")
    with app.app_context():
        order_id = get_order(request_id).id
        event = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order_id))
    assert (event.kind, event.from_status, event.to_status) == ("expired", "pending", "expired")


def test_expire_dry_run_changes_nothing(app, runner):
    request_id = new_order(app, "pending", created_at=utcnow() - timedelta(hours=1))
    result = invoke(runner, "expire", "--older-than", "30m", "--dry-run")
    assert "1 order(s) would be closed." in result.output
    assert status_of(app, request_id) == "pending"


@pytest.mark.parametrize("status", ["pending", "created"])
def test_expire_never_overwrites_a_change_that_came_first(app, status):
    request_id = new_order(app, status, created_at=utcnow() - timedelta(hours=1))
    with app.app_context():
        read = stale_orders(timedelta(minutes=30))
        # Between our read and our write, another process (a callback) marks it paid.
        with db.engine.begin() as other:
            other.execute(update(Order).where(Order.request_id == request_id).values(status="paid"))
        report = expire_orders(read, timedelta(minutes=30))
    assert report == ExpiryReport(expired=0, failed=0, skipped=1)
    assert status_of(app, request_id) == "paid"


# replay


def test_replaying_an_applied_callback_is_a_duplicate_that_changes_nothing(app, client, runner):
    request_id = new_order(app)
    deliver(app, client, request_id)
    with app.app_context():
        before = get_order(request_id)
        paid_at, events = before.paid_at, len(before.events)
    [original] = callback_ids(app)
    result = invoke(runner, "replay", str(original))
    assert result.exit_code == 0
    assert f"Callback #{original} replayed as #{original + 1}: duplicate" in result.output
    with app.app_context():
        after = get_order(request_id)
        assert (after.status, after.paid_at, len(after.events)) == ("paid", paid_at, events)


def test_replay_stores_a_new_record_naming_the_original(app, client, runner):
    deliver(app, client, new_order(app))
    [original] = callback_ids(app)
    invoke(runner, "replay", str(original))
    with app.app_context():
        first, copy = (db.session.get(CallbackRecord, i) for i in callback_ids(app))
        assert copy.headers["X-Replay-Of"] == str(first.id)
        assert (copy.body, copy.content_type, copy.outcome) == (
            first.body,
            first.content_type,
            "duplicate",
        )


def test_replay_applies_a_stored_callback_that_was_never_processed(app, runner):
    request_id = new_order(app)
    with app.app_context():
        body = json.dumps(callback_for(app, get_order(request_id)))
        record = CallbackRecord(body=body, content_type="application/json")
        db.session.add(record)
        db.session.commit()
        record_id = record.id
    result = invoke(runner, "replay", str(record_id))
    assert "accepted" in result.output
    assert status_of(app, request_id) == "paid"


def test_replay_of_a_forged_callback_is_refused_again(app, client, runner):
    request_id = new_order(app)
    deliver(app, client, request_id, signature="forged")
    [original] = callback_ids(app)
    result = invoke(runner, "replay", str(original))
    assert result.exit_code == 1
    assert "bad_signature" in result.output
    assert status_of(app, request_id) == "pending"


def test_replay_of_an_unknown_callback_fails(app, runner):
    result = invoke(runner, "replay", "999")
    assert result.exit_code == 1
    assert "No stored callback #999" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(CallbackRecord.id))) == 0

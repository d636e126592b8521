"""`flask orders ...` answers bad input with `Error: ...`, never a traceback, on both engines.

Times at the edge of the calendar, numbers past BIGINT, text no database takes (a lone
surrogate is what undecodable bytes in argv become), a stored body nested too deep.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import CallbackRecord
from tests.support.apps import close_app, make_app
from tests.support.orders import make_order

NESTED = "[" * 20_000 + "]" * 20_000


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = make_app(database_url)
    with app.app_context():
        make_order()
    yield app
    close_app(app)


def invoke(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["orders", *args])


def refused(result, exit_code: int, message: str) -> None:
    """Check the command said `Error: …message…` and exited, without a traceback."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == exit_code
    assert "Error: " in result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--since", "999999999d"], "'999999999d' is longer than 36500d"),
        (["list", "--until", "999999999d"], "'999999999d' is longer than 36500d"),
        (["list", "--until", "9999-12-31"], "'9999-12-31' is at the edge of the calendar"),
        (["list", "--since", "0001-01-01T00:00+01:00"], "is at the edge of the calendar"),
        (["export", "--until", "9999-12-31"], "'9999-12-31' is at the edge of the calendar"),
        (["expire", "--older-than", "999999999d"], "'999999999d' is longer than 36500d"),
        (["list", "--limit", "99999999999999999999"], "Invalid value for '--limit'"),
        (["list", "--search", "al\x1bice"], "--search': must not contain control characters"),
        (["list", "--search", "al\udcffice"], "--search': must not contain control characters"),
        (["export", "--search", "\udcff"], "--search': must not contain control characters"),
        (["list", "--currency", "\udcff"], "is not an ISO 4217 code"),
        (["list", "--currency", "KZTX"], "'KZTX' is not an ISO 4217 code"),
        (["replay", "99999999999999999999"], "Invalid value for 'CALLBACK_ID'"),
        (["replay", "0"], "Invalid value for 'CALLBACK_ID'"),
    ],
)
def test_bad_option_is_a_usage_error(app: Flask, args: list[str], message: str) -> None:
    refused(invoke(app, *args), 2, message)


def test_show_of_text_no_database_takes_is_no_order(app: Flask) -> None:
    refused(invoke(app, "show", "ab\udcffcd"), 1, "No order with request_id 'ab\\udcffcd'.")


def test_replay_of_a_body_nested_too_deep_is_an_error_not_a_traceback(app: Flask) -> None:
    with app.app_context():
        record = CallbackRecord(body=NESTED, content_type="application/json")
        db.session.add(record)
        db.session.commit()
        original = record.id
    result = invoke(app, "replay", str(original))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert f"callback #{original}" in result.output.lower()
    with app.app_context():
        copies = db.session.scalars(
            select(CallbackRecord).where(CallbackRecord.id != original)
        ).all()
    # The attempt is on record like any other callback, whatever its outcome.
    assert [copy.headers["X-Replay-Of"] for copy in copies] == [str(original)]

"""The turns of the periodic chores (`housekeeping_turns`): every statement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, update

from checkout.extensions import db
from checkout.models import HousekeepingTurn
from checkout.repository import write

# A turn is taken by one worker: the one whose UPDATE finds the last turn old enough.
TAKE_TURN = (
    update(HousekeepingTurn)
    .where(
        HousekeepingTurn.name == bindparam("match_name"),
        HousekeepingTurn.started_at <= bindparam("match_due_since"),
    )
    .returning(HousekeepingTurn.name)
)
INSERT_TURN = insert(HousekeepingTurn)


def take_turn(name: str, due_since: datetime, now: datetime) -> bool:
    """Start a chore's turn if its last one started at or before `due_since`; return whether.

    False too for a chore that never ran anywhere: its row does not exist yet.
    """
    params = {"match_name": name, "match_due_since": due_since, "started_at": now}
    return write(TAKE_TURN, params).first() is not None


def exists(name: str) -> bool:
    """Tell whether the chore ever ran anywhere."""
    return db.session.get(HousekeepingTurn, name) is not None


def insert_first_turn(name: str, now: datetime) -> None:
    """Start the very first turn of a chore.

    :raise IntegrityError: when another worker started it first.
    """
    write(INSERT_TURN, {"name": name, "started_at": now})

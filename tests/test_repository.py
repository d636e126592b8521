"""The data-access layer: one way to write, and loaded objects that never lie."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import select, text

from checkout.extensions import db
from checkout.models import Order, OrderStatus
from checkout.repository import orders as stored_orders
from tests.support.apps import close_app, make_app
from tests.support.orders import make_order

CHECKOUT = Path(__file__).resolve().parent.parent / "checkout"
# What builds or runs SQL; anything outside a repository module that uses it bypasses the layer.
STATEMENT_BUILDERS = {"select", "insert", "update", "delete", "bindparam", "text", "func"}
SESSION_STATEMENTS = {"execute", "scalar", "scalars", "get", "add", "flush", "connection"}
FORBIDDEN_ANYWHERE = {"__table__", "set_committed_value"}


def is_repository(path: Path) -> bool:
    """Tell whether a module may write statements: repositories, and models (the schema's
    own SQL, such as a partial index's condition)."""
    return path.name in {"repository.py", "models.py"} or path.parent.name == "repository"


def bypasses(path: Path) -> list[str]:
    """Return what in a module reaches the database other than through a repository."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ANYWHERE:
            found.append(node.attr)
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_ANYWHERE:
            found.append(node.id)
        if is_repository(path):
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [alias.name for alias in node.names if alias.name in STATEMENT_BUILDERS]
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in {"session", "engine"}
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "db"
            and (node.value.attr == "engine" or node.attr in SESSION_STATEMENTS)
        ):
            found.append(f"db.{node.value.attr}.{node.attr}")
        if isinstance(node, ast.Attribute) and node.attr == "paginate":
            found.append("paginate")
    return found


def test_statements_are_written_only_in_repositories():
    offenders = {
        str(path.relative_to(CHECKOUT)): found
        for path in sorted(CHECKOUT.rglob("*.py"))
        if (found := bypasses(path))
    }
    assert offenders == {}


def test_the_check_sees_a_bypass(tmp_path):
    """The check above would catch a service that built its own statement."""
    module = tmp_path / "service.py"
    module.write_text(
        "from sqlalchemy import update\n"
        "def pay(order):\n"
        "    db.session.execute(update(Order.__table__))\n"
    )
    assert sorted(bypasses(module)) == ["__table__", "db.session.execute", "update"]


@pytest.fixture
def db_app(database_url):
    app = make_app(database_url)
    yield app
    close_app(app)


def test_a_won_compare_and_set_shows_on_the_loaded_order(db_app):
    with db_app.app_context():
        order = make_order("pending")
        assert stored_orders.move(order, OrderStatus.PENDING, status=OrderStatus.PAID)
        # In memory at once, and not as a change waiting to be flushed by the session.
        assert order.status == "paid"
        assert not db.session.dirty
        db.session.commit()
        assert db.session.scalar(select(Order.status).where(Order.id == order.id)) == "paid"


def test_a_lost_compare_and_set_leaves_the_loaded_order_as_it_was_read(db_app):
    with db_app.app_context():
        order = make_order("pending")
        db.session.commit()
        with db.engine.begin() as other_process:
            other_process.execute(
                text("UPDATE orders SET status = 'failed' WHERE id = :id"), {"id": order.id}
            )
        assert not stored_orders.move(order, OrderStatus.CREATED, status=OrderStatus.PAID)
        assert order.status == "pending"  # what was read; the service reloads it to see more
        db.session.rollback()
        assert db.session.scalar(select(Order.status).where(Order.id == order.id)) == "failed"

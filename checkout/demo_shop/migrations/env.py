"""The demo shop's Alembic environment: its own tables and its own version table.

The shop is a plug-in that can be deleted: its schema lives beside it, recorded in
`demo_shop_alembic_version`, so the checkout's own migrations (and their single head)
never know it existed.
"""

from typing import Any

from alembic import context
from flask import current_app

from checkout.demo_shop.models import ShopBase

VERSION_TABLE = "demo_shop_alembic_version"


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Compare only the shop's tables: the checkout's are its own migrations' business."""
    return type_ != "table" or name in ShopBase.metadata.tables


def run_migrations_offline() -> None:
    context.configure(
        url=current_app.extensions["migrate"].db.engine.url,
        target_metadata=ShopBase.metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = current_app.extensions["migrate"].db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=ShopBase.metadata,
            version_table=VERSION_TABLE,
            include_name=include_name,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

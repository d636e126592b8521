"""The demo shop's Alembic environment: its own tables and its own version table.

The shop is a plug-in that can be deleted: its schema lives beside it, recorded in
`demo_shop_alembic_version`, so the checkout's own migrations (and their single head)
never know it existed.
"""

from checkout import plugin_schemas
from checkout.demo_shop import SCHEMA

plugin_schemas.run_migrations(SCHEMA)

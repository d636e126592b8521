"""The sandbox's Alembic environment: its own table and its own version table.

The sandbox is a plug-in that can be deleted: its schema lives beside it, recorded in
`sandbox_alembic_version`, so the checkout's own migrations never know it existed.
"""

from checkout import plugin_schemas
from checkout.sandbox import SCHEMA

plugin_schemas.run_migrations(SCHEMA)

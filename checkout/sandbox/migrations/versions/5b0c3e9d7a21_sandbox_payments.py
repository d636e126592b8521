"""sandbox payments

Revision ID: 5b0c3e9d7a21
Revises: 
Create Date: 2026-11-28 14:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b0c3e9d7a21'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Databases migrated before the sandbox had migrations of its own got this table from
    # the checkout's initial schema: keep it (and the payments in it) as it is.
    if sa.inspect(op.get_bind()).has_table('sandbox_payments'):
        return
    op.create_table('sandbox_payments',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key'),
    sa.UniqueConstraint('request_id')
    )


def downgrade() -> None:
    op.drop_table('sandbox_payments')

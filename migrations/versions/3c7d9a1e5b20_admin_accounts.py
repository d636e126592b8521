"""admin accounts: a session version that signing out bumps

Revision ID: 3c7d9a1e5b20
Revises: f481a6470f64
Create Date: 2026-11-28 11:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c7d9a1e5b20'
down_revision = 'f481a6470f64'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admin_accounts',
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('account')
    )


def downgrade():
    op.drop_table('admin_accounts')

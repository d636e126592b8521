"""callbacks: the id of the HTTP request that delivered each one, as in the logs

Revision ID: 8e2f4b6c1d93
Revises: 3c7d9a1e5b20
Create Date: 2026-11-28 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e2f4b6c1d93'
down_revision = '3c7d9a1e5b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('callbacks') as batch_op:
        batch_op.add_column(sa.Column('http_request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('callbacks') as batch_op:
        batch_op.drop_column('http_request_id')

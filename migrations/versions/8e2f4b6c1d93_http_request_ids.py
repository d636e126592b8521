"""callbacks and webhook attempts: the id of the request (or attempt) in the logs;
webhook attempts indexed by start, for /metrics

Revision ID: 8e2f4b6c1d93
Revises: a990ee76a46a
Create Date: 2026-11-28 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e2f4b6c1d93'
down_revision = 'a990ee76a46a'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('callbacks', 'webhook_attempts'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('http_request_id', sa.String(length=64), nullable=True))
    op.create_index('ix_webhook_attempts_started_at', 'webhook_attempts', ['started_at'])


def downgrade():
    op.drop_index('ix_webhook_attempts_started_at', table_name='webhook_attempts')
    for table in ('webhook_attempts', 'callbacks'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('http_request_id')

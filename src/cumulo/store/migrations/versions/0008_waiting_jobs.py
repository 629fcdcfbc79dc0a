"""jobs that wait without a worker (not-before, fair-share owner); what a deployment awaits

Revision ID: 0008_waiting_jobs
Revises: 0007_web_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_waiting_jobs"
down_revision = "0007_web_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("owner", sa.String(length=512), nullable=True))
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_for", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_try", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_column("last_try")
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_column("waiting_since")
        batch_op.drop_column("waiting_for")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("owner")
        batch_op.drop_column("not_before")

"""lifecycle: resources.spec_digest, the callbacks outbox

Revision ID: 0004_lifecycle
Revises: 0003_federation
Create Date: 2026-11-25 10:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_lifecycle"
down_revision = "0003_federation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spec_digest", sa.String(length=64), nullable=True))
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deployment_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index("ix_callbacks_deployment_id", ["deployment_id"], unique=False)
        batch_op.create_index("ix_callbacks_status_next", ["status", "next_at"], unique=False)


def downgrade() -> None:
    op.drop_table("callbacks")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_column("spec_digest")

"""an index for the claim's fair order: owner by owner over the queued jobs

Revision ID: 0009_jobs_owner_index
Revises: 0008_waiting_jobs
"""

from __future__ import annotations

from alembic import op

revision = "0009_jobs_owner_index"
down_revision = "0008_waiting_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_status_owner_id", "jobs", ["status", "owner", "id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_status_owner_id", table_name="jobs")

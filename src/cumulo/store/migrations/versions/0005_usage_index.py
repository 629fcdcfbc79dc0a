"""usage index: the per-site usage the scheduler sums, read from an index alone

Revision ID: 0005_usage_index
Revises: 0004_lifecycle
"""

from __future__ import annotations

from alembic import op

revision = "0005_usage_index"
down_revision = "0004_lifecycle"
branch_labels = None
depends_on = None

USAGE_COLUMNS = [
    "user_group", "site_name", "status",
    "need_instances", "need_cores", "need_ram_mb", "need_volume_gb",
]  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("deployments") as b:
        b.drop_index("ix_deployments_site_status")
        b.create_index("ix_deployments_usage", USAGE_COLUMNS)


def downgrade() -> None:
    with op.batch_alter_table("deployments") as b:
        b.drop_index("ix_deployments_usage")
        b.create_index("ix_deployments_site_status", ["site_name", "status"])

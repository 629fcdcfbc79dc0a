"""federation: site registry fields, SLAs, deployment placement and needs

Revision ID: 0003_federation
Revises: 0002_dashboard
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_federation"
down_revision = "0002_dashboard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as b:
        b.add_column(sa.Column("region", sa.String(255), nullable=True))
        b.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("credentials", sa.Text(), nullable=True))
        b.add_column(sa.Column("flavors", sa.JSON(), nullable=False, server_default="[]"))
        b.add_column(sa.Column("quotas", sa.JSON(), nullable=False, server_default="{}"))
        b.add_column(sa.Column("capabilities", sa.JSON(), nullable=False, server_default="{}"))
        b.add_column(sa.Column("health_up", sa.Boolean(), nullable=True))
        b.add_column(sa.Column("health_error", sa.Text(), nullable=True))
        b.add_column(sa.Column("health_checked_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("health_failures", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("health_latency_ms", sa.Float(), nullable=True))
    # The single local site of before: its status becomes health; it stays open to all.
    op.execute("UPDATE sites SET health_up = (status = 'AVAILABLE'), public = (1 = 1)")
    op.execute("UPDATE sites SET status = 'active' WHERE status IN ('AVAILABLE', 'UNAVAILABLE')")
    op.create_table(
        "slas",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("group_name", sa.String(255), nullable=False),
        sa.Column("site_name", sa.String(255), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("limits", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_slas_group_name", "slas", ["group_name"])
    with op.batch_alter_table("deployments") as b:
        b.add_column(sa.Column("requested_site", sa.String(255), nullable=True))
        b.add_column(sa.Column("scheduling", sa.JSON(), nullable=True))
        b.add_column(sa.Column("need_instances", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("need_cores", sa.Float(), nullable=False, server_default="0"))
        b.add_column(sa.Column("need_ram_mb", sa.Float(), nullable=False, server_default="0"))
        b.add_column(sa.Column("need_volume_gb", sa.Float(), nullable=False, server_default="0"))
        b.create_index("ix_deployments_site_status", ["site_name", "status"])


def downgrade() -> None:
    with op.batch_alter_table("deployments") as b:
        b.drop_index("ix_deployments_site_status")
        for col in (
            "need_volume_gb", "need_ram_mb", "need_cores", "need_instances",
            "scheduling", "requested_site",
        ):  # fmt: skip
            b.drop_column(col)
    op.drop_index("ix_slas_group_name", "slas")
    op.drop_table("slas")
    op.execute("UPDATE sites SET status = 'AVAILABLE' WHERE health_up IS NOT FALSE")
    op.execute("UPDATE sites SET status = 'UNAVAILABLE' WHERE health_up IS FALSE")
    with op.batch_alter_table("sites") as b:
        for col in (
            "health_latency_ms", "health_failures", "health_checked_at", "health_error",
            "health_up", "capabilities", "quotas", "flavors", "credentials", "public", "region",
        ):  # fmt: skip
            b.drop_column(col)

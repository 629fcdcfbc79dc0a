"""site usage kept by the database: one row per (group, site), maintained by triggers

Every scheduling decision checks quotas and SLA limits against what the live
deployments hold per (group, site). Summing it from the deployments at each
decision cost a thousand-row GROUP BY on a federation of a thousand sites; the
triggers below keep the sums as deployments change, whatever code changes them,
and stamp each changed row with a rising ``seq`` so a reader can fetch only what
changed since its last look. The covering index the GROUP BY read is dropped
(it was updated on every status change).

Revision ID: 0010_site_usage
Revises: 0009_jobs_owner_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_site_usage"
down_revision = "0009_jobs_owner_index"
branch_labels = None
depends_on = None

# Deployment statuses whose resources exist on their site (federation_queries.HOLDING_STATUSES,
# spelled here as the migration's own fact: a migration never changes after it ships).
HOLDING = (
    "'CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', "
    "'UPDATE_FAILED', 'DELETE_IN_PROGRESS', 'DELETE_FAILED', 'UNKNOWN'"
)
NEEDS = ("need_instances", "need_cores", "need_ram_mb", "need_volume_gb")
SUMS = ("instances", "cores", "ram_mb", "volume_gb")
USAGE_COLUMNS = [
    "user_group", "site_name", "status",
    "need_instances", "need_cores", "need_ram_mb", "need_volume_gb",
]  # fmt: skip
TRIGGERS = ("site_usage_insert", "site_usage_update", "site_usage_delete")


def _holds(row: str) -> str:
    return f"({row}.site_name IS NOT NULL AND {row}.status IN ({HOLDING}))"


def _changed() -> str:
    """An update that moves usage: holding or not, the site, the group, or the needs."""
    parts = [f"{_holds('OLD')} IS NOT {_holds('NEW')}"]
    parts += [f"OLD.{c} IS NOT NEW.{c}" for c in ("site_name", "user_group", *NEEDS)]
    return f"({_holds('OLD')} OR {_holds('NEW')}) AND ({' OR '.join(parts)})"


def _add(row: str, seq: str, where: str = "") -> str:
    """Upsert ``row``'s needs into its (group, site) sum."""
    values = ", ".join(f"coalesce({row}.{c}, 0)" for c in NEEDS)
    update = ", ".join(f"{s} = site_usage.{s} + excluded.{s}" for s in SUMS)
    return (
        f"INSERT INTO site_usage (user_group, site_name, {', '.join(SUMS)}, seq) "
        f"SELECT coalesce({row}.user_group, ''), {row}.site_name, {values}, {seq} "
        f"{where or 'WHERE true'} "
        f"ON CONFLICT (user_group, site_name) DO UPDATE SET {update}, seq = excluded.seq"
    )


def _subtract(row: str, seq: str, where: str = "") -> str:
    sets = ", ".join(
        f"{s} = {s} - coalesce({row}.{c}, 0)" for s, c in zip(SUMS, NEEDS, strict=True)
    )
    return (
        f"UPDATE site_usage SET {sets}, seq = {seq} "
        f"WHERE user_group = coalesce({row}.user_group, '') AND site_name = {row}.site_name"
        + (f" AND {where}" if where else "")
    )


def _sqlite_triggers() -> list[str]:
    # Writers are serialized on SQLite: max(seq) + 1 rises in commit order.
    seq = "(SELECT coalesce(max(seq), 0) + 1 FROM site_usage)"
    watched = ", ".join(("status", "site_name", "user_group", *NEEDS))
    return [
        f"CREATE TRIGGER site_usage_insert AFTER INSERT ON deployments "
        f"WHEN {_holds('NEW')} BEGIN {_add('NEW', seq)}; END",
        f"CREATE TRIGGER site_usage_update AFTER UPDATE OF {watched} ON deployments "
        f"WHEN {_changed()} BEGIN "
        f"{_subtract('OLD', seq, _holds('OLD'))}; "
        f"{_add('NEW', seq, 'WHERE ' + _holds('NEW'))}; END",
        f"CREATE TRIGGER site_usage_delete AFTER DELETE ON deployments "
        f"WHEN {_holds('OLD')} BEGIN {_subtract('OLD', seq)}; END",
    ]


def _postgresql_triggers() -> list[str]:
    seq = "nextval('site_usage_seq')"
    changed = _changed().replace(" IS NOT ", " IS DISTINCT FROM ")
    function = f"""
CREATE FUNCTION cumulo_site_usage() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND {_holds("OLD")} THEN
        {_subtract("OLD", seq)};
    END IF;
    IF TG_OP <> 'DELETE' AND {_holds("NEW")} THEN
        {_add("NEW", seq)};
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql"""

    def run(when: str) -> str:
        return f"FOR EACH ROW WHEN {when} EXECUTE FUNCTION cumulo_site_usage()"

    watched = ", ".join(("status", "site_name", "user_group", *NEEDS))
    return [
        "CREATE SEQUENCE site_usage_seq",
        function,
        f"CREATE TRIGGER site_usage_insert AFTER INSERT ON deployments {run(_holds('NEW'))}",
        f"CREATE TRIGGER site_usage_update AFTER UPDATE OF {watched} ON deployments "
        f"{run(f'({changed})')}",
        f"CREATE TRIGGER site_usage_delete AFTER DELETE ON deployments {run(_holds('OLD'))}",
    ]


def upgrade() -> None:
    op.create_table(
        "site_usage",
        sa.Column("user_group", sa.String(255), primary_key=True),  # '' for no group
        sa.Column("site_name", sa.String(255), primary_key=True),
        sa.Column("instances", sa.Integer, nullable=False),
        sa.Column("cores", sa.Float, nullable=False),
        sa.Column("ram_mb", sa.Float, nullable=False),
        sa.Column("volume_gb", sa.Float, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_site_usage_seq", "site_usage", ["seq"])
    sums = ", ".join(f"coalesce(sum({c}), 0)" for c in NEEDS)
    op.execute(
        f"INSERT INTO site_usage (user_group, site_name, {', '.join(SUMS)}, seq) "
        f"SELECT coalesce(user_group, ''), site_name, {sums}, 1 FROM deployments "
        f"WHERE {_holds('deployments')} GROUP BY coalesce(user_group, ''), site_name"
    )
    op.drop_index("ix_deployments_usage", table_name="deployments")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _postgresql_triggers() if postgresql else _sqlite_triggers():
        op.execute(statement)
    if postgresql:
        op.execute("SELECT setval('site_usage_seq', 1)")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON deployments" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS cumulo_site_usage()")
        op.execute("DROP SEQUENCE IF EXISTS site_usage_seq")
    op.drop_index("ix_site_usage_seq", table_name="site_usage")
    op.drop_table("site_usage")
    op.create_index("ix_deployments_usage", "deployments", USAGE_COLUMNS)

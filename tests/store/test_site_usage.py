"""The database keeps ``site_usage`` (migration 0010's triggers) equal to the sums over the
live deployments, whatever changes them, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from cumulo.store import Database, migrate
from cumulo.store.federation_queries import (
    HOLDING_STATUSES,
    own_usage,
    usage_by_group_and_site,
    usage_changes,
)
from cumulo.store.models import Deployment

STATUSES = (*HOLDING_STATUSES, "CREATE_FAILED", "DELETE_COMPLETE")
GROUPS = (None, "physics", "chemistry")
SITES = (None, "site-a", "site-b", "site-c")


def _new(rnd: random.Random) -> Deployment:
    return Deployment(
        status=rnd.choice(STATUSES), template="t", owner_issuer="iss", owner_subject="sub",
        user_group=rnd.choice(GROUPS), site_name=rnd.choice(SITES),
        need_instances=rnd.randint(0, 3), need_cores=rnd.choice((0.5, 1.0, 2.0, 4.0)),
        need_ram_mb=rnd.choice((512.0, 2048.0)), need_volume_gb=rnd.choice((0.0, 10.0)),
    )  # fmt: skip


def _expected(db: Database) -> dict[tuple[str | None, str], tuple[float, ...]]:
    sums: dict[tuple[str | None, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    with db.reader() as s:
        for dep in s.scalars(select(Deployment)):
            if dep.site_name is not None and dep.status in HOLDING_STATUSES:
                held = sums[(dep.user_group, dep.site_name)]
                needs = (dep.need_instances, dep.need_cores, dep.need_ram_mb, dep.need_volume_gb)
                for i, need in enumerate(needs):
                    held[i] += need
    return {key: tuple(v) for key, v in sums.items()}


def _kept(db: Database) -> dict[tuple[str | None, str], tuple[float, ...]]:
    with db.reader() as s:
        rows = usage_by_group_and_site(s)
    # Rows of pairs that held something once stay, at zero.
    return {(g, site): tuple(v) for g, site, *v in rows if any(v)}


def test_usage_follows_every_kind_of_change(db: Database) -> None:
    rnd = random.Random(12)
    ids: list[str] = []
    for _round in range(8):
        with db.session() as s:
            for _ in range(6):
                dep = _new(rnd)
                s.add(dep)
                ids.append(dep.id)
        with db.session() as s:  # moves: status, site, group, needs; one at a time and in bulk
            for dep_id in rnd.sample(ids, 6):
                column = rnd.choice(("status", "site_name", "user_group", "need_cores"))
                value = {"status": STATUSES, "site_name": SITES, "user_group": GROUPS,
                         "need_cores": (1.0, 3.0)}[column]  # fmt: skip
                s.execute(
                    update(Deployment).where(Deployment.id == dep_id)
                    .values({column: rnd.choice(value)})
                )  # fmt: skip
            s.execute(update(Deployment).where(Deployment.status == "UNKNOWN")
                      .values(status="CREATE_COMPLETE"))  # fmt: skip
        with db.session() as s:
            gone = rnd.sample(ids, 3)
            s.execute(delete(Deployment).where(Deployment.id.in_(gone)))
            ids = [i for i in ids if i not in gone]
        assert _kept(db) == {k: v for k, v in _expected(db).items() if any(v)}


def test_changes_are_read_after_a_seq_and_unrelated_updates_leave_it(db: Database) -> None:
    with db.session() as s:
        dep = Deployment(status="CREATE_IN_PROGRESS", template="t", owner_issuer="i",
                         owner_subject="s", user_group="physics", site_name="site-a",
                         need_instances=1, need_cores=2.0)  # fmt: skip
        s.add(dep)
    with db.reader() as s:
        (row,) = usage_changes(s)
    assert row[:4] == ("physics", "site-a", 1, 2.0)
    seq = row[6]
    with db.session() as s:  # still holding the same: no change to read
        s.execute(update(Deployment).where(Deployment.id == dep.id)
                  .values(status="CREATE_COMPLETE", description="x"))  # fmt: skip
    with db.reader() as s:
        assert usage_changes(s, seq) == []
        assert own_usage(s, dep.id) == ("physics", "site-a", 1, 2.0, 0.0, 0.0)
        assert usage_by_group_and_site(s, exclude_id=dep.id) == [
            ("physics", "site-a", 0, 0.0, 0.0, 0.0)
        ]
    with db.session() as s:
        s.execute(update(Deployment).where(Deployment.id == dep.id)
                  .values(status="DELETE_COMPLETE"))  # fmt: skip
    with db.reader() as s:
        (row,) = usage_changes(s, seq)
        assert row[:6] == ("physics", "site-a", 0, 0.0, 0.0, 0.0) and row[6] > seq
        assert own_usage(s, dep.id) is None


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cumulo.db'}"
    return request.getfixturevalue("pg_cluster").create_database()


def test_the_migration_sums_the_deployments_already_there(unmigrated_url: str) -> None:
    db = Database(unmigrated_url)
    try:
        migrate(db.engine, "0009_jobs_owner_index")
        rnd = random.Random(4)
        with db.engine.begin() as conn:  # rows as the version before 0010 holds them
            for _ in range(30):
                dep = _new(rnd)
                values = {c.name: getattr(dep, c.key) for c in Deployment.__table__.c}
                # The columns left unset take their defaults.
                values = {k: v for k, v in values.items() if v is not None}
                conn.execute(Deployment.__table__.insert().values(values))
        migrate(db.engine)
        assert _kept(db) == {k: v for k, v in _expected(db).items() if any(v)}
        migrate(db.engine, "0009_jobs_owner_index")  # and back: the triggers go too
        with db.engine.begin() as conn:
            conn.execute(delete(Deployment.__table__))
        migrate(db.engine)
        assert _kept(db) == {}
    finally:
        db.dispose()

"""The store on real SQLite and PostgreSQL: migrations, UTC datetimes, cascades, constraints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from cumulo.store import Database, migrate
from cumulo.store.models import Attempt, Base, Deployment, Event, Resource


def _deployment(**kw: object) -> Deployment:
    values = {
        "status": "CREATE_IN_PROGRESS",
        "template": "tosca_definitions_version: tosca_simple_yaml_1_3\n",
        "owner_issuer": "iss",
        "owner_subject": "sub",
    }
    values.update(kw)
    return Deployment(**values)


def test_migrations_create_every_table_and_match_the_models(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {"deployments", "resources", "attempts", "events", "jobs", "sites"} <= tables
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrate_twice_is_a_no_op(db: Database) -> None:
    with db.session() as s:
        s.add(_deployment())
    migrate(db.engine)
    with db.session() as s:
        assert len(s.scalars(select(Deployment)).all()) == 1


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_datetimes_come_back_timezone_aware_in_utc(db: Database) -> None:
    cet = timezone(timedelta(hours=1))
    at = datetime(2026, 1, 2, 10, 30, tzinfo=cet)
    with db.session() as s:
        dep = _deployment(created_at=at)
        s.add(dep)
    with db.session() as s:
        got = s.get(Deployment, dep.id)
        assert got is not None
        assert got.created_at.tzinfo is not None
        assert got.created_at == at
        assert got.created_at.astimezone(UTC).hour == 9


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive"), db.session() as s:
        s.add(_deployment(created_at=datetime(2026, 1, 1)))


def test_json_columns_round_trip(db: Database) -> None:
    with db.session() as s:
        dep = _deployment(parameters={"ports": [80, 443], "env": {"A": "1"}}, outputs={"x": None})
        s.add(dep)
    with db.session() as s:
        got = s.get(Deployment, dep.id)
        assert got is not None
        assert got.parameters == {"ports": [80, 443], "env": {"A": "1"}}
        assert got.outputs == {"x": None}


def test_deleting_a_deployment_removes_its_resources_attempts_and_events(db: Database) -> None:
    with db.session() as s:
        dep = _deployment()
        s.add(dep)
        s.flush()
        att = Attempt(deployment_id=dep.id, number=1, site_name="local")
        s.add(att)
        s.flush()
        s.add(Resource(deployment_id=dep.id, attempt_id=att.id, node_name="a", node_type="T"))
        s.add(Event(deployment_id=dep.id, kind="info", message="hello"))
    with db.session() as s:
        s.delete(s.get(Deployment, dep.id))
    with db.session() as s:
        assert s.scalars(select(Resource)).all() == []
        assert s.scalars(select(Attempt)).all() == []
        assert s.scalars(select(Event)).all() == []


def test_one_resource_per_node_instance(db: Database) -> None:
    with db.session() as s:
        dep = _deployment()
        s.add(dep)
        s.flush()
        s.add(Resource(deployment_id=dep.id, node_name="a", node_index=0, node_type="T"))
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Resource(deployment_id=dep.id, node_name="a", node_index=0, node_type="T"))


def test_listing_query_uses_the_creation_index(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("the plan is checked on SQLite; bench/api_list.py measures it")
    with db.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM deployments "
            "ORDER BY created_at DESC, id DESC LIMIT 10 OFFSET 20"
        ).fetchall()
    text = " ".join(str(row) for row in plan)
    assert "ix_deployments_created" in text
    assert "TEMP B-TREE" not in text  # no sort of the whole table

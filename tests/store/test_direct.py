"""A ``DirectTx`` stores and reads what a Session would, on both databases: typed columns
(aware datetimes, JSON, booleans), row counts, RETURNING, many rows at once; errors are
SQLAlchemy's; a failed transaction leaves nothing, its ORM writes included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, StatementError
from tests.store.store_helpers import new_deployment

from cumulo.engine.events import record
from cumulo.store import Database
from cumulo.store.direct import _PREPARED
from cumulo.store.models import DEPLOYMENTS, JOBS, Deployment, Event

WHEN = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)
_BY_ID = DEPLOYMENTS.c.id == bindparam("dep_id")
READ = select(*DEPLOYMENTS.c["id", "status", "outputs", "updated_at", "keep_last_attempt"]).where(
    _BY_ID
)
WRITE = (
    update(DEPLOYMENTS)
    .where(_BY_ID)
    .values(outputs=bindparam("outputs"), updated_at=bindparam("at"), keep_last_attempt=True)
)
NEW_JOB = insert(JOBS)
TAKE = (
    update(JOBS).where(JOBS.c.id == bindparam("job"))
    .values(status="RUNNING", tries=JOBS.c.tries + 1).returning(JOBS.c.id, JOBS.c.tries)
)  # fmt: skip


def test_typed_columns_round_trip_as_through_the_orm(db: Database) -> None:
    dep_id, other = new_deployment(db, "a"), new_deployment(db, "b")
    outputs = {"url": "http://x", "list": [1, 2.5, None], "nested": {"ok": True}}
    with db.direct() as tx:
        result = tx.execute(WRITE, {"dep_id": dep_id, "outputs": outputs, "at": WHEN})
        assert result.rowcount == 1
    with db.reader() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None and dep.outputs == outputs and dep.updated_at == WHEN
        assert dep.keep_last_attempt is True
    with db.direct_reader() as tx:
        row = tx.execute(READ, {"dep_id": dep_id}).first()
        assert (row.id, row.outputs, row.updated_at, row.keep_last_attempt) == (
            dep_id, outputs, WHEN, True,
        )  # fmt: skip
        assert row.updated_at.tzinfo is not None
        assert tx.scalar(select(DEPLOYMENTS.c.template).where(_BY_ID), {"dep_id": other}) == "b"
        assert tx.execute(READ, {"dep_id": "none"}).first() is None


def test_returning_many_rows_and_an_expanding_in(db: Database) -> None:
    dep_id = new_deployment(db, "a")
    rows = [{"kind": "deploy", "deployment_id": dep_id, "status": "PENDING", "owner": "o",
             "created_at": WHEN, "updated_at": WHEN} for _ in range(3)]  # fmt: skip
    with db.direct() as tx:
        tx.execute(NEW_JOB, rows)
        first = tx.execute(NEW_JOB, rows[0]).inserted_primary_key[0]
        taken = tx.execute(TAKE, {"job": first}).all()
        ids = tx.scalars(select(JOBS.c.id).where(JOBS.c.deployment_id == dep_id)).all()
        some = tx.scalars(select(JOBS.c.id).where(JOBS.c.id.in_(ids[:2]))).all()
    assert [tuple(r) for r in taken] == [(first, 1)]  # the column's default (0) was bound
    if db.engine.dialect.name == "sqlite":  # a constant default does not need SQLAlchemy's run
        assert _PREPARED[(NEW_JOB, frozenset(rows[0]))] is not None
        assert _PREPARED[(TAKE, frozenset({"job"}))] is not None  # a column's own SQL too
    assert len(ids) == 4 and first in ids and sorted(some) == sorted(ids[:2])


def test_events_are_written_with_the_commit_and_not_after_a_failure(db: Database) -> None:
    dep_id = new_deployment(db, "a")
    with db.direct() as tx:
        record(tx, dep_id, "info", "kept")
    with pytest.raises(RuntimeError), db.direct() as tx:
        record(tx, dep_id, "info", "lost")
        tx.execute(WRITE, {"dep_id": dep_id, "outputs": {"lost": 1}, "at": WHEN})
        orm = tx.orm()
        orm.get(Deployment, dep_id).template = "changed"  # type: ignore[union-attr]
        raise RuntimeError("the step failed")
    with db.reader() as s:
        messages = list(s.scalars(select(Event.message).where(Event.deployment_id == dep_id)))
        dep = s.get(Deployment, dep_id)
    assert messages == ["kept"]
    assert dep is not None and dep.template == "a" and dep.outputs != {"lost": 1}


def test_an_orm_write_joins_the_transaction(db: Database) -> None:
    dep_id = new_deployment(db, "a")
    with db.direct() as tx:
        tx.execute(WRITE, {"dep_id": dep_id, "outputs": {"a": 1}, "at": WHEN})
        tx.orm().get(Deployment, dep_id).template = "changed"  # type: ignore[union-attr]
    with db.reader() as s:
        dep = s.get(Deployment, dep_id)
    assert dep is not None and dep.template == "changed" and dep.outputs == {"a": 1}


def test_errors_are_sqlalchemys(db: Database) -> None:
    dep_id = new_deployment(db, "a")
    with pytest.raises(IntegrityError), db.direct() as tx:  # no such deployment
        tx.execute(insert(Event.__table__), {"deployment_id": "nope", "at": WHEN, "kind": "info",
                                             "node": None, "message": "m"})  # fmt: skip
    with pytest.raises(StatementError), db.direct() as tx:  # a parameter missing
        tx.execute(WRITE, {"dep_id": dep_id, "outputs": {}})
    with db.reader() as s:
        assert s.scalar(select(Event.id).where(Event.deployment_id == "nope")) is None

"""``RowUpdates`` writes typed columns (dates, JSON) on the rows its clauses pick, and
builds one statement per set of columns."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from tests.store.store_helpers import new_deployment

from cumulo.store import Database
from cumulo.store.models import Deployment
from cumulo.store.row_updates import RowUpdates

DEPLOYMENTS = Deployment.__table__


def test_typed_columns_are_written_on_the_picked_row_only(db: Database) -> None:
    writes = RowUpdates(DEPLOYMENTS, DEPLOYMENTS.c.id == bindparam("dep_id"))
    picked, other = new_deployment(db, "a"), new_deployment(db, "b")
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    with db.session() as s:
        writes.execute(s, {"outputs": {"url": "http://x"}, "updated_at": when,
                           "status": "CREATE_COMPLETE"}, {"dep_id": picked})  # fmt: skip
    with db.reader() as s:
        rows = {d.id: d for d in s.scalars(select(Deployment))}
    assert rows[picked].outputs == {"url": "http://x"}
    assert rows[picked].updated_at == when and rows[picked].status == "CREATE_COMPLETE"
    assert rows[other].status == "CREATE_IN_PROGRESS" and rows[other].outputs != {"url": "http://x"}


def test_one_statement_per_column_set(db: Database) -> None:
    writes = RowUpdates(DEPLOYMENTS, DEPLOYMENTS.c.id == bindparam("dep_id"))
    dep_id = new_deployment(db, "a")
    with db.session() as s:
        for status in ("CREATE_COMPLETE", "UPDATE_IN_PROGRESS"):
            writes.execute(s, {"status": status}, {"dep_id": dep_id})
        writes.execute(s, {"status": "UPDATE_COMPLETE", "task": "NONE"}, {"dep_id": dep_id})
    assert writes.statement(frozenset({"status"})) is writes.statement(frozenset({"status"}))
    assert len(writes._statements) == 2
    with db.reader() as s:
        assert s.get(Deployment, dep_id).status == "UPDATE_COMPLETE"  # type: ignore[union-attr]

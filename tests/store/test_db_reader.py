"""Read-only sessions: on a SQLite file they neither write nor wait for the writer."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from cumulo.store.db import Database


def _db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    with db.session() as s:
        s.execute(text("CREATE TABLE t (v INTEGER)"))
        s.execute(text("INSERT INTO t VALUES (1)"))
    return db


def test_a_reader_cannot_write(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with pytest.raises(OperationalError, match="readonly"), db.reader() as s:
        s.execute(text("INSERT INTO t VALUES (2)"))
    with db.reader() as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 1
    db.dispose()


def test_a_reader_reads_while_a_writer_holds_its_transaction(tmp_path: Path) -> None:
    """The writer's lock and SQLite's writer slot are held: a reader still reads the
    last committed state at once, and sees the write once it is committed."""
    db = _db(tmp_path)
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with db.session() as s:
            s.execute(text("UPDATE t SET v = 2"))
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(10)
    seen: list[int] = []
    reader = threading.Thread(target=lambda: seen.append(_value(db)))
    reader.start()
    reader.join(5)
    alive = reader.is_alive()
    release.set()
    thread.join(10)
    assert not alive and seen == [1]  # did not wait for the writer; its snapshot
    assert _value(db) == 2
    db.dispose()


def _value(db: Database) -> int:
    with db.reader() as s:
        return int(s.execute(text("SELECT v FROM t")).scalar_one())


def test_an_in_memory_database_reads_through_its_one_connection() -> None:
    db = Database("sqlite://")
    with db.session() as s:
        s.execute(text("CREATE TABLE t (v INTEGER)"))
    with db.reader() as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 0
    db.dispose()

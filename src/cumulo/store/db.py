"""Engine and session factory; SQLite gets WAL, a busy timeout and immediate transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cumulo.store.direct import DirectTx


def utcnow() -> datetime:
    return datetime.now(UTC)


def _begin(conn: Any, statement: str) -> None:
    # Straight to the driver: SQLAlchemy's execution path (events, result objects)
    # cost more than the BEGIN itself, on every transaction. A direct transaction
    # (``_on_driver``) began it already when it makes a Connection on its driver's.
    driver = conn.connection.driver_connection
    if not driver.in_transaction:
        _begin_on(driver, statement)


def _begin_on(driver: sqlite3.Connection, statement: str) -> None:
    try:
        driver.execute(statement).close()
    except sqlite3.Error as exc:  # as SQLAlchemy would have raised it (callers catch DBAPIError)
        raise OperationalError(statement, None, exc) from exc


@contextmanager
def _on_driver(engine: Engine, begin: str) -> Iterator[DirectTx]:
    """A direct transaction on a pooled SQLite driver connection: no SQLAlchemy
    Connection unless a statement needs one (its begin, commit and return to the pool
    cost more than SQLite's own)."""
    fairy = engine.raw_connection()
    tx, failed = DirectTx(engine, fairy=fairy), True
    try:
        _begin_on(fairy.driver_connection, begin)
        yield tx
        tx.finish()
        tx.commit()
        failed = False
    finally:
        tx.close(rollback=failed)
    tx.committed()


def _sqlite_setup(engine: Engine, busy_timeout_ms: int) -> None:
    # pysqlite's own transaction handling starts transactions lazily, so a
    # read-then-write transaction can fail at once with "database is locked"
    # when another writer got in between. We take over BEGIN and make every
    # transaction IMMEDIATE: writers queue on the busy timeout instead.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        _begin(conn, "BEGIN IMMEDIATE")


def _sqlite_reader_setup(engine: Engine, busy_timeout_ms: int) -> None:
    # Readers: a deferred BEGIN (a WAL snapshot that never blocks the writer) on
    # connections that cannot write at all.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA query_only=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        _begin(conn, "BEGIN")


def _is_file_sqlite(url: str) -> bool:
    """A SQLite database in a file (an in-memory one is private to its connection)."""
    return url.startswith("sqlite") and ":memory:" not in url and url.rstrip("/") != "sqlite:"


class Database:
    """One database: its engine and a session factory (thread-safe to share)."""

    def __init__(self, url: str, *, sqlite_busy_timeout_ms: int = 15000, echo: bool = False):
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {
                "check_same_thread": False,
                "timeout": sqlite_busy_timeout_ms / 1000,
            }
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            _sqlite_setup(self.engine, sqlite_busy_timeout_ms)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and every transaction here is IMMEDIATE: threads
        # of one process queue on a lock rather than on SQLite's busy handler, which sleeps
        # (up to 100 ms a time) and made the engine's many short transactions crawl.
        self._writer: Any = (
            threading.RLock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )
        # Reads need neither that lock nor SQLite's writer slot: on a file database they
        # get their own read-only connections (WAL readers never wait for the writer).
        self._reads: sessionmaker[Session] | None = None
        if _is_file_sqlite(url):
            reads = create_engine(url, **kwargs)
            _sqlite_reader_setup(reads, sqlite_busy_timeout_ms)
            self._read_engine: Engine | None = reads
            self._reads = sessionmaker(reads, expire_on_commit=False)
        else:
            self._read_engine = None

    def holds_writer(self) -> bool:
        """Whether this thread is in a write transaction (SQLite: holds the writer lock)."""
        owned = getattr(self._writer, "_is_owned", None)
        return bool(owned and owned())

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A short transaction: committed on success, rolled back on error."""
        with self._writer, self.sessions() as s, s.begin():
            yield s

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only transaction (a write in it fails): on a SQLite file it takes no
        lock and does not wait for writers; elsewhere it is a ``session``."""
        if self._reads is None:
            with self.session() as s:
                yield s
            return
        with self._reads() as s, s.begin():
            yield s

    @contextmanager
    def direct(self) -> Iterator[DirectTx]:
        """A short transaction for the engine's hot path (``store.direct``): committed on
        success, rolled back on error."""
        if self.dialect != "sqlite":
            with self._writer, self.engine.connect() as conn, conn.begin():
                tx = DirectTx(self.engine, conn)
                yield tx
                tx.finish()
            tx.committed()
            return
        with self._writer, _on_driver(self.engine, "BEGIN IMMEDIATE") as tx:
            yield tx

    @contextmanager
    def direct_reader(self) -> Iterator[DirectTx]:
        """``reader`` as a ``DirectTx``."""
        if self._read_engine is None:
            with self.direct() as tx:
                yield tx
            return
        with _on_driver(self._read_engine, "BEGIN") as tx:
            yield tx

    def dispose(self) -> None:
        self.engine.dispose()
        if self._read_engine is not None:
            self._read_engine.dispose()

"""Direct transactions: the engine's hot path, run on the driver's own cursor.

On the engine's hot path (every step of every deployment) SQLAlchemy's ORM
``Session`` cost several times what SQLite itself does: a one-statement
transaction took about 100 µs through a Session and 20 µs on the driver. A
``DirectTx`` offers the part of a Session's interface that the hot path uses
(``execute``, ``scalar``, ``scalars``, ``info``, ``connection``). On SQLite it
runs on a pooled driver connection (``Database.direct``): a fixed core
statement is compiled once (per set of parameter names) and then runs straight
on the cursor, its parameters and columns converted by SQLAlchemy's own bind
and result processors, so what is stored and read back is the same as through
SQLAlchemy. Anything else (an expanding ``IN``, an insert that needs computed
Python-side defaults, a text statement without typed columns) goes through a
SQLAlchemy Connection made on the same driver connection when first needed; on
PostgreSQL everything does. The rare ORM write (a callback's notice) gets a
Session joined to the same transaction; what must wait for the commit that
counts (``on_commit``) waits for the direct transaction's, not that Session's.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import TextClause

Params = dict[str, Any]
AFTER_COMMIT = "after_commit"  # the key of ``DirectTx.after_commit`` in its ``info``


@dataclass(frozen=True)
class _Prepared:
    """One statement as SQLite runs it: its SQL, and how to bind and read its values."""

    sql: str
    binds: tuple[tuple[str, Any, bool, Callable[[Any], Any] | None], ...]  # name, value, given?, fn
    row: type | None  # a named tuple of the result's columns, if it has any
    readers: tuple[Callable[[Any], Any] | None, ...]
    key: tuple[str, ...]  # an insert's primary key columns (given, or the new rowid)


_PREPARED: dict[tuple[ClauseElement, frozenset[str]], _Prepared | None] = {}
_PREPARED_MAX = 2048  # statements built per call would fill it: start again past this
_lock = threading.Lock()


def _prepare(stmt: ClauseElement, keys: frozenset[str], dialect: Dialect) -> _Prepared | None:
    """The statement compiled for SQLite, or None where SQLAlchemy must run it."""
    if isinstance(stmt, TextClause):
        return None  # its columns are known only from the cursor: SQLAlchemy reads them
    compiled: Any = stmt.compile(dialect=dialect, column_keys=sorted(keys))
    if compiled.positiontup is None or compiled.post_compile_params:
        return None  # an expanding IN (or a dialect without positional parameters)
    if compiled.literal_execute_params:
        return None
    # An insert's Python-side default given as a constant is bound as one; a computed
    # default or a value fetched back is left to SQLAlchemy.
    defaults = {c.key: c.default for c in getattr(compiled, "insert_prefetch", ())}
    if any(not d.is_scalar for d in defaults.values()):
        return None
    if isinstance(stmt, Insert) and compiled.postfetch:
        return None  # server-side values SQLAlchemy would read back
    processors = compiled._bind_processors
    binds = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if name in defaults and name not in keys:
            binds.append((name, defaults[name].arg, False, processors.get(name)))
            continue
        if bind.callable is not None or (bind.required and name not in keys):
            return None  # a value computed at run time, or a missing one SQLAlchemy reports
        binds.append((name, bind.effective_value, name in keys, processors.get(name)))
    row, readers = None, ()
    columns = compiled._result_columns
    if columns:
        row = namedtuple("Row", [c[0] for c in columns], rename=True)  # type: ignore[misc]
        readers = tuple(c[3]._cached_result_processor(dialect, None) for c in columns)
    key = tuple(c.key for c in stmt.table.primary_key) if isinstance(stmt, Insert) else ()
    return _Prepared(compiled.string, tuple(binds), row, readers, key)


class Scalars(list[Any]):
    """The first column of each row, read as a ``ScalarResult`` is read."""

    def all(self) -> list[Any]:
        return list(self)

    def first(self) -> Any:
        return self[0] if self else None


class DirectResult:
    """What a statement run on the cursor returned, read as a ``CursorResult`` is read."""

    def __init__(self, rows: list[Any], rowcount: int, key: tuple[Any, ...] = ()) -> None:
        self._rows, self.rowcount, self.inserted_primary_key = rows, rowcount, key

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return list(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> Scalars:
        return Scalars(r[0] for r in self._rows)


class DirectTx:
    """One transaction, used as the hot path uses a Session: on SQLite, on a pooled
    driver connection (``fairy``) whose transaction the caller began, with a SQLAlchemy
    Connection made only when a statement needs one; elsewhere on ``conn``, begun."""

    def __init__(self, engine: Engine, conn: Connection | None = None, fairy: Any = None):
        self.engine = engine
        self.info: dict[str, Any] = {}
        self.before_commit: list[Callable[[DirectTx], None]] = []
        # What runs once the transaction committed (``on_commit``); in ``info``, shared
        # with its ORM Session, whose own commit only flushes into this transaction.
        self.after_commit: list[Callable[[], None]] = []
        self.info[AFTER_COMMIT] = self.after_commit
        self._conn = conn
        self._fairy = fairy if fairy is not None else conn.connection  # type: ignore[union-attr]
        self._orm: Session | None = None
        self._direct = engine.dialect.name == "sqlite"
        self._driver: Any = self._fairy.driver_connection if self._direct else None

    @property
    def conn(self) -> Connection:
        """A SQLAlchemy Connection in this transaction (made when first needed; its begin
        issues no BEGIN on a connection already in a transaction: ``store.db``)."""
        if self._conn is None:
            self._conn = Connection(self.engine, connection=self._fairy)
            self._conn.begin()
        return self._conn

    def connection(self) -> DirectTx:
        return self

    def orm(self) -> Session:
        """A Session in this transaction, for the rare write that needs ORM objects; it is
        flushed before the commit."""
        if self._orm is None:
            self._orm = Session(bind=self.conn)  # joins the transaction, does not end it
            self._orm.info = self.info  # one set of pending events
        return self._orm

    def execute(self, stmt: Any, params: Params | Sequence[Params] | None = None) -> Any:
        many = isinstance(params, list | tuple)
        first: Params = (params[0] if params else {}) if many else (params or {})  # type: ignore[index,assignment]
        prepared = self._prepared(stmt, first) if self._direct else None
        if prepared is None:
            return self.conn.execute(stmt, params)  # type: ignore[arg-type]
        return self._run(prepared, params if many else [first])  # type: ignore[arg-type]

    def scalar(self, stmt: Any, params: Params | None = None) -> Any:
        return self.execute(stmt, params).scalar()

    def scalars(self, stmt: Any, params: Params | None = None) -> Any:
        return self.execute(stmt, params).scalars()

    def _prepared(self, stmt: Any, params: Params) -> _Prepared | None:
        key = (stmt, frozenset(params))
        try:
            return _PREPARED[key]
        except KeyError:
            pass
        prepared = _prepare(stmt, key[1], self.engine.dialect)
        with _lock:
            if len(_PREPARED) >= _PREPARED_MAX:
                _PREPARED.clear()
            _PREPARED[key] = prepared
        return prepared

    def _run(self, prepared: _Prepared, many: list[Params]) -> DirectResult:
        rows_of_params = [
            tuple(
                (fn(p[name] if given else value) if fn else (p[name] if given else value))
                for name, value, given, fn in prepared.binds
            )
            for p in many
        ]
        cursor = self._driver.cursor()
        try:
            if len(rows_of_params) == 1:
                cursor.execute(prepared.sql, rows_of_params[0])
            else:
                cursor.executemany(prepared.sql, rows_of_params)
            rows = []
            if prepared.row is not None:
                readers, make = prepared.readers, prepared.row._make  # type: ignore[attr-defined]
                rows = [
                    make([f(v) if f else v for f, v in zip(readers, raw, strict=True)])
                    for raw in cursor.fetchall()
                ]
            key = tuple(many[0].get(k, cursor.lastrowid) for k in prepared.key)
            return DirectResult(rows, cursor.rowcount, key)
        except self.engine.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemys(self.engine, prepared.sql, rows_of_params, exc) from exc
        finally:
            cursor.close()

    def finish(self) -> None:
        """Before the commit: what was recorded in passing (events), and the ORM's writes."""
        for hook in self.before_commit:
            hook(self)
        if self._orm is not None:
            self._orm.commit()  # flushes; the outer transaction commits after this

    def committed(self) -> None:
        """After the commit: what waited for it (a sender to wake)."""
        for hook in self.after_commit:
            hook()

    def commit(self) -> None:
        """Commit a transaction on a driver connection (``Database.direct`` on SQLite)."""
        if self._conn is not None:
            self._conn.commit()
            return
        try:
            self._driver.commit()
        except self.engine.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemys(self.engine, "COMMIT", (), exc) from exc

    def close(self, rollback: bool) -> None:
        """Give the driver connection back, rolling back first if the work failed."""
        if self._conn is not None:
            try:
                if rollback:
                    self._conn.rollback()
            finally:
                self._conn.close()  # gives the driver connection back
            return
        try:
            if rollback:
                self._driver.rollback()
        finally:
            self._fairy.close()


def _as_sqlalchemys(engine: Engine, sql: str, params: Any, exc: Exception) -> DBAPIError:
    """A driver's error as SQLAlchemy raises it: callers catch OperationalError,
    IntegrityError."""
    return DBAPIError.instance(sql, params, exc, engine.dialect.loaded_dbapi.Error)


# A transaction of either kind, for code that runs in both (core statements, events).
Tx = Session | DirectTx


def on_commit(tx: Tx, hook: Callable[[], None]) -> None:
    """Run ``hook`` once after the commit that makes ``tx``'s writes visible to others:
    a direct transaction's own, also for the Session joined to one."""
    hooks = tx.info.get(AFTER_COMMIT)
    if hooks is None:  # a Session of its own: SQLAlchemy says when it commits
        hooks = tx.info[AFTER_COMMIT] = []
        if not event.contains(tx, "after_commit", _run_after_commit):
            event.listen(tx, "after_commit", _run_after_commit)
    if hook not in hooks:
        hooks.append(hook)


def _run_after_commit(session: Session) -> None:
    for hook in session.info.pop(AFTER_COMMIT, ()):
        hook()


def orm_of(tx: Tx) -> Session:
    """The Session of ``tx``, for a write that needs ORM objects."""
    return tx.orm() if isinstance(tx, DirectTx) else tx

"""One ``UPDATE`` statement per set of columns, built once and reused.

SQLAlchemy compiles a core ``update(...).values(...)`` each time it is built; on the
hot path (a node's row written at every step) the building and compiling cost more
than the statement. ``RowUpdates`` keeps one statement per set of columns written,
its values bound by name, so a step only binds parameters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, Update, bindparam, update


class RowUpdates:
    """``UPDATE table SET <columns> WHERE <where>``, one statement per column set; the
    ``where`` clauses take their own bound parameters (given with each call)."""

    def __init__(self, table: Table, *where: ColumnElement[bool]) -> None:
        self.table = table
        self.where = where
        self._statements: dict[frozenset[str], Update] = {}

    def statement(self, columns: frozenset[str]) -> Update:
        found = self._statements.get(columns)
        if found is None:
            cols = self.table.c
            binds = {name: bindparam(f"set_{name}", type_=cols[name].type) for name in columns}
            found = update(self.table).where(*self.where).values(**binds)
            self._statements[columns] = found  # a race builds it twice: harmless
        return found

    def execute(self, s: Any, values: dict[str, Any], where: dict[str, Any]) -> None:
        """Write ``values`` (column -> value) on the rows ``where``'s parameters pick."""
        params = {**where, **{f"set_{name}": value for name, value in values.items()}}
        s.execute(self.statement(frozenset(values)), params)

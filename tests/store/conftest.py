"""The store's tests run on both databases: SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cumulo.store import Database, migrate


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cumulo.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database()
    database = Database(url)
    migrate(database.engine)
    yield database
    database.dispose()

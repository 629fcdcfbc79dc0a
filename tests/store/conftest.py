"""The store's tests run on both databases: SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cumulo.store import Database, migrate
from cumulo.store.pg_cluster import PgCluster, unavailable


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    reason = unavailable()
    if reason:
        pytest.skip(f"PostgreSQL tests need a local server: {reason}")
    cluster = PgCluster.start()
    yield cluster
    cluster.stop()


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

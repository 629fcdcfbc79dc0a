"""Fixtures shared by every test folder: the throwaway PostgreSQL server, the database choice,
real local accounts with real API tokens (``make_user``, ``admin_user``).

``CUMULO_TEST_DATABASE=postgresql`` runs the tests that take ``database_url``
(the engine and end-to-end ones) on a fresh PostgreSQL database instead of the
embedded SQLite; ``scripts/test`` runs the end-to-end suite both ways.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cumulo.auth.testing import ApiUser, create_api_user
from cumulo.store import Database, migrate
from cumulo.store.pg_cluster import PgCluster, unavailable

MakeUser = Callable[..., ApiUser]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    reason = unavailable()
    if reason:
        pytest.skip(f"PostgreSQL tests need a local server: {reason}")
    cluster = PgCluster.start()
    yield cluster
    cluster.stop()


def chosen_database() -> str:
    choice = os.environ.get("CUMULO_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
    if choice not in ("sqlite", "postgresql"):
        raise pytest.UsageError(f"CUMULO_TEST_DATABASE must be sqlite or postgresql, not {choice}")
    return choice


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, run only the tests that take the chosen database (the rest would repeat)."""
    if chosen_database() != "postgresql":
        return
    uses = {"database_url", "module_database_url"}
    keep = [i for i in items if uses & set(getattr(i, "fixturenames", ()))]
    dropped = [i for i in items if i not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _new_database_url(request: pytest.FixtureRequest) -> str:
    if chosen_database() == "sqlite":
        return ""
    return request.getfixturevalue("pg_cluster").create_database()


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """ "" (SQLite in the data directory) or a new PostgreSQL database's URL."""
    return _new_database_url(request)


@pytest.fixture(scope="module")
def module_database_url(request: pytest.FixtureRequest) -> str:
    """The same, shared by a module's tests (e.g. one ``cumulo serve`` for the module)."""
    return _new_database_url(request)


@pytest.fixture
def make_user(request: pytest.FixtureRequest) -> MakeUser:
    """``make_user("alice", groups=("physics",))`` -> ``ApiUser`` (``.headers`` to send).

    Uses the ``engine`` fixture of the calling test's folder (its database).
    ``admin=True`` makes a local administrator (as the first start's ``admin``).
    """
    engine = request.getfixturevalue("engine")

    def make(name: str, groups: tuple[str, ...] = (), admin: bool = False) -> ApiUser:
        return create_api_user(engine.db, name, groups, engine.settings.admin_group, admin=admin)

    return make


@pytest.fixture
def admin_user(make_user: MakeUser) -> ApiUser:
    """The local ``admin`` account (as the first start makes it), with a token."""
    return make_user("admin", admin=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database of each kind: the store and engine tests run on both."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cumulo.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database()
    database = Database(url)
    migrate(database.engine)
    yield database
    database.dispose()

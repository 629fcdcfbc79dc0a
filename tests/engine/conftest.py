from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cumulo.store import Database, migrate


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'cumulo.db'}")
    migrate(database.engine)
    yield database
    database.dispose()

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cumulo.api import create_app
from cumulo.config import Settings
from cumulo.engine.runtime import Engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = Engine(Settings(data_dir=tmp_path))
    yield eng
    eng.close()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """The dashboard without workers: deployments stay as the pages left them."""
    with TestClient(create_app(engine.settings, engine=engine, workers=0)) as c:
        yield c

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from oidc_provider import provider

from cumulo.config import Settings
from cumulo.engine.runtime import Engine


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with provider() as url:
        yield url


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = Engine(Settings(data_dir=tmp_path))
    yield eng
    eng.close()

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from indigo_server import IndigoState, start


@pytest.fixture
def indigo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[IndigoState]:
    """A real HTTP server with INDIGO payloads; the CLI is pointed at it."""
    httpd, state = start()
    monkeypatch.setenv("CUMULO_URL", state.base_url)
    monkeypatch.delenv("CUMULO_TOKEN", raising=False)
    monkeypatch.setenv("CUMULO_DATA_DIR", str(tmp_path))  # no admin.token found by accident
    monkeypatch.setenv("COLUMNS", "200")
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()

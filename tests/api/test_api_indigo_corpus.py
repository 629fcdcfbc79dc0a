"""Every real INDIGO template POSTed as is: 201 or a located 400, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.tosca.corpus import CORPUS_DIR as CORPUS
from tests.tosca.corpus import TYPES_DIR as TYPES
from tests.tosca.corpus import import_map

from cumulo.auth.testing import create_api_user
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.server import build_app


def _templates() -> list[Path]:
    """The templates listed in the corpus's verdicts (templates and type examples)."""
    lines = (CORPUS / "verdicts.tsv").read_text().splitlines()[1:]
    return [CORPUS / line.split("\t")[0] for line in lines if line.strip()]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    if not TYPES.is_dir():
        pytest.skip(f"INDIGO corpus not found at {CORPUS}")
    mapping = ";".join(f"{prefix}={folder}" for prefix, folder in import_map().items())
    settings = Settings(data_dir=tmp_path_factory.mktemp("corpus"), import_map=mapping)
    engine = Engine(settings)
    with TestClient(build_app(settings, engine=engine, workers=0)) as c:
        c.headers.update(create_api_user(engine.db, "admin", admin=True).headers)
        yield c
    engine.close()


def test_the_corpus_gives_201_or_a_clear_400(client: TestClient) -> None:
    templates = _templates()
    assert len(templates) > 100
    outcomes: dict[int, int] = {}
    for path in templates:
        r = client.post("/deployments", json={"template": path.read_text(errors="replace")})
        outcomes[r.status_code] = outcomes.get(r.status_code, 0) + 1
        assert r.status_code in (201, 400), f"{path.name}: {r.status_code} {r.text[:500]}"
        if r.status_code == 400:
            body = r.json()
            assert set(body) == {"code", "title", "message"} and body["message"].strip()
    print("outcomes by HTTP status:", outcomes)
    assert outcomes.get(201, 0) > 0, outcomes

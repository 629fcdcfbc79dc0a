from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cumulo.auth.testing import ApiUser
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.server import build_app
from cumulo.store.models import Deployment, Resource


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on each database (the API behaves the same on both)."""
    url = ""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_cluster").create_database()
    eng = Engine(Settings(data_dir=tmp_path, database_url=url))
    yield eng
    eng.close()


@pytest.fixture
def client(engine: Engine, admin_user: ApiUser) -> Iterator[TestClient]:
    """The API without workers, called as the local admin: jobs stay queued."""
    with TestClient(build_app(engine.settings, engine=engine, workers=0)) as c:
        c.headers.update(admin_user.headers)
        yield c


MakeDeployments = Callable[..., list[str]]


@pytest.fixture
def make_deployments(engine: Engine) -> MakeDeployments:
    """Store ``n`` deployments directly, one minute apart (oldest first); their ids."""

    def make(n: int, *, subject: str = "admin", group: str | None = None) -> list[str]:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        ids = []
        with engine.db.session() as s:
            for i in range(n):
                at = start + timedelta(minutes=i)
                dep = Deployment(
                    status="CREATE_COMPLETE",
                    template=f"# template {i}\n",
                    owner_issuer="cumulo-local",
                    owner_subject=subject,
                    user_group=group,
                    outputs={"n": i},
                    created_at=at,
                    updated_at=at,
                )
                s.add(dep)
                ids.append(dep.id)
        return ids

    return make


@pytest.fixture
def add_resource(engine: Engine) -> Callable[..., str]:
    def add(dep_id: str, node: str, node_type: str, index: int = 0, **kw: object) -> str:
        with engine.db.session() as s:
            res = Resource(
                deployment_id=dep_id, node_name=node, node_index=index, node_type=node_type, **kw
            )
            s.add(res)
            return res.id

    return add

"""The API alone builds only the API; the composition root adds the dashboard and the workers."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient

from cumulo.api import create_api
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.server import build_app


def workers_running() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("cumulo-worker-")]


def test_the_api_alone_has_no_pages_and_starts_nothing() -> None:
    app = create_api()
    assert "/deployments" in app.openapi()["paths"]
    before = workers_running()
    with TestClient(app) as c:
        assert c.get("/ui/login").status_code == 404
        assert c.get("/ui/static/cumulo.css").status_code == 404
        assert workers_running() == before


def test_the_whole_app_serves_the_dashboard_beside_the_api_and_runs_its_workers(
    tmp_path: Path,
) -> None:
    engine = Engine(Settings(data_dir=tmp_path))
    try:
        app = build_app(engine.settings, engine=engine, workers=2)
        assert "/deployments" in app.openapi()["paths"]
        before = len(workers_running())
        with TestClient(app) as c:
            assert len(workers_running()) == before + 2
            assert "Log in" in c.get("/ui/login").text
            assert c.get("/ui/static/cumulo.css").status_code == 200
            assert c.get("/deployments").status_code == 401  # the API's JSON errors
        assert len(workers_running()) == before  # stopped with the app
    finally:
        engine.close()

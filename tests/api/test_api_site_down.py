"""No Docker engine: deployments fail with a clear reason and the API stays up."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from fastapi.testclient import TestClient

from cumulo import catalogue
from cumulo.auth.testing import create_api_user
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.local_site import AVAILABLE, register_site
from cumulo.server import build_app

PARAMS = {"docker_image": "cumulo/httpd", "docker_tag": "1"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def _deploy_and_wait(client: TestClient) -> dict:
    path = catalogue.find("run-docker")
    assert path is not None
    r = client.post("/deployments", json={"template": path.read_text(), "parameters": PARAMS})
    assert r.status_code == 201, r.text
    dep_id = r.json()["uuid"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        dep = client.get(f"/deployments/{dep_id}").json()
        if dep["status"] != "CREATE_IN_PROGRESS":
            return dep
        time.sleep(0.05)
    raise AssertionError(f"still in progress: {dep}")


def test_an_unreachable_docker_engine_fails_the_deployment(tmp_path: Path) -> None:
    endpoint = f"tcp://127.0.0.1:{_closed_port()}"
    settings = Settings(data_dir=tmp_path, docker_host=endpoint, job_poll_seconds=0.05)
    engine = Engine(settings)
    # Registered while it was up; it has gone down since.
    register_site(engine.db, "local", "docker", endpoint, {}, status=AVAILABLE)
    with TestClient(build_app(settings, engine=engine, workers=1)) as client:
        client.headers.update(create_api_user(engine.db, "alice").headers)
        dep = _deploy_and_wait(client)
        assert dep["status"] == "CREATE_FAILED"
        assert "site local is unreachable" in dep["statusReason"]
        assert client.get("/").status_code == 200
        assert client.delete(f"/deployments/{dep['uuid']}").status_code == 204
    engine.close()


def test_without_any_site_deployments_fail_saying_so(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, job_poll_seconds=0.05)
    engine = Engine(settings)
    with TestClient(build_app(settings, engine=engine, workers=1)) as client:
        client.headers.update(create_api_user(engine.db, "alice").headers)
        dep = _deploy_and_wait(client)
        assert dep["status"] == "CREATE_FAILED"
        assert dep["statusReason"].startswith("No cloud provider meets the deployment requirements")
        assert "cloudProviderName" not in dep
    engine.close()

"""The reconciler on the local site (the machine's Docker engine, never restarted here):
a container stopped, broken or removed behind cumulo's back."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from engine_helpers import labelled, run_docker, run_next_job
from sqlalchemy import select

from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.engine.lifecycle import reconcile_job
from cumulo.engine.lifecycle.reconcile import reconcile_once
from cumulo.engine.requests.deployments import request_delete
from cumulo.engine.runtime import Engine
from cumulo.store.models import Deployment, Resource

pytestmark = pytest.mark.e2e
APP = {"docker_image": "cumulo/httpd", "docker_tag": "1", "docker_ports": [8080]}


@pytest.fixture
def app(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Run docker deployment made and serving; removed at the end."""
    monkeypatch.setattr(reconcile_job, "RESTART_GRACE", 0.0)
    dep = run_docker(engine, APP)
    run_next_job(engine)
    yield dep.id
    request_delete(engine, dep.id, LOCAL_ADMIN)
    run_next_job(engine, "cleaner")
    assert labelled(dep.id) == []


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout


def row(engine: Engine, dep_id: str) -> tuple[Deployment, Resource]:
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        (res,) = s.scalars(select(Resource).where(Resource.deployment_id == dep_id))
        assert dep is not None
        s.expunge_all()
        return dep, res


def serves(dep: Deployment) -> bool:
    (url,) = dep.outputs["endpoints"]
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_container_stopped_behind_cumulos_back_is_started_again(engine: Engine, app: str) -> None:
    (cid,) = labelled(app)
    assert docker("inspect", "--format", "{{.HostConfig.RestartPolicy.Name}}", cid).strip() == (
        "unless-stopped"
    )
    docker("stop", "-t", "1", cid)  # by hand: Docker's policy leaves it stopped
    assert reconcile_once(engine) == 1
    run_next_job(engine)
    dep, res = row(engine, app)
    assert labelled(app) == [cid]  # the same container, nothing made instead
    assert docker("inspect", "--format", "{{.State.Status}}", cid).strip() == "running"
    assert res.state == "CONFIGURED" and "outage" not in res.attributes
    assert dep.status == "CREATE_COMPLETE" and dep.status_reason is None
    # its new host port is in the outputs
    port = docker("port", cid, "8080/tcp").split(":")[-1].strip()
    assert dep.outputs["endpoints"] == [f"http://127.0.0.1:{port}"]
    assert serves(dep)


def test_a_restart_that_fails_is_an_error_with_dockers_message_and_tried_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reconcile_job, "RESTART_GRACE", 0.0)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dep = run_docker(engine, {**APP, "docker_ports": [f"{port}:8080"]})
    run_next_job(engine)
    try:
        (cid,) = labelled(dep.id)
        docker("stop", "-t", "1", cid)
        with socket.socket() as taken:  # someone else took its host port meanwhile
            taken.bind(("127.0.0.1", port))
            taken.listen()
            assert reconcile_once(engine) == 1
            run_next_job(engine)
            got, res = row(engine, dep.id)
            assert res.state == "ERROR", res.state
            reason = got.status_reason or ""
            assert reason.startswith("node app[0]: down since "), reason
            assert "its restart failed: " in reason and "Docker engine of site local" in reason
            assert "address already in use" in reason or "already allocated" in reason, reason
        assert reconcile_once(engine) == 1  # level-triggered: tried again at the next look
        run_next_job(engine)
        got, res = row(engine, dep.id)
        assert res.state == "CONFIGURED" and got.status_reason is None
        assert labelled(dep.id) == [cid] and serves(got)
    finally:
        request_delete(engine, dep.id, LOCAL_ADMIN)
        run_next_job(engine, "cleaner")


def test_a_restart_behind_cumulos_back_keeps_the_host_port_of_the_outputs(
    engine: Engine, app: str
) -> None:
    (cid,) = labelled(app)
    before = row(engine, app)[0].outputs["endpoints"]
    # stopped and started again by hand between two looks: never seen down
    docker("stop", "-t", "1", cid)
    docker("start", cid)
    port = docker("port", cid, "8080/tcp").split(":")[-1].strip()
    # the local site pinned the free port it picked when it made the container
    assert before == [f"http://127.0.0.1:{port}"]
    assert reconcile_once(engine) == 0  # as recorded
    deadline = time.monotonic() + 10
    while not serves(row(engine, app)[0]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert serves(row(engine, app)[0])


def test_a_container_removed_behind_cumulos_back_is_an_error(engine: Engine, app: str) -> None:
    (cid,) = labelled(app)
    docker("rm", "-f", cid)
    assert reconcile_once(engine) == 1
    run_next_job(engine)
    dep, res = row(engine, app)
    assert res.state == "ERROR" and res.physical_id == cid
    assert dep.status_reason and "node app[0]: gone since " in dep.status_reason
    assert labelled(app) == []  # not made again
    assert reconcile_once(engine) == 0

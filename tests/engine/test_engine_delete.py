"""Deletes when the site cannot remove things: DELETE_FAILED, retried by another DELETE;
``force`` removes the deployment anyway. The site is made unreachable by pointing its
record at a closed port (the real Docker engine keeps the containers meanwhile)."""

from __future__ import annotations

import pytest
from engine_helpers import labelled, run_docker, run_next_job

from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.engine.requests.deployments import request_delete
from cumulo.engine.runtime import Engine
from cumulo.store.models import Deployment, Site

pytestmark = pytest.mark.e2e

APP = {"docker_image": "cumulo/httpd", "docker_tag": "1"}
CLOSED = "tcp://127.0.0.1:9"  # the discard port: nothing listens there


def _point_site_at(engine: Engine, endpoint: str) -> str:
    with engine.db.session() as s:
        site = s.get(Site, "local")
        assert site is not None
        old, site.endpoint = site.endpoint, endpoint
    return old


def _status(engine: Engine, dep_id: str) -> tuple[str, str | None] | None:
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        return (dep.status, dep.status_reason) if dep else None


def test_a_failed_delete_is_delete_failed_and_another_delete_retries_it(engine: Engine) -> None:
    dep = run_docker(engine, APP)
    run_next_job(engine)
    assert len(labelled(dep.id)) == 1
    real = _point_site_at(engine, CLOSED)
    try:
        request_delete(engine, dep.id, LOCAL_ADMIN)
        run_next_job(engine)
        status = _status(engine, dep.id)
        assert status is not None and status[0] == "DELETE_FAILED"
        assert "site local" in (status[1] or "")
        assert len(labelled(dep.id)) == 1  # nothing lost: the container is still known
    finally:
        _point_site_at(engine, real)
    request_delete(engine, dep.id, LOCAL_ADMIN)
    run_next_job(engine)
    assert _status(engine, dep.id) is None
    assert labelled(dep.id) == []


def test_a_forced_delete_removes_the_deployment_even_when_the_site_fails(engine: Engine) -> None:
    dep = run_docker(engine, APP)
    run_next_job(engine)
    real = _point_site_at(engine, CLOSED)
    try:
        request_delete(engine, dep.id, LOCAL_ADMIN, force=True)
        run_next_job(engine)
        assert _status(engine, dep.id) is None  # gone from cumulo
        assert len(labelled(dep.id)) == 1  # left on the unreachable site (logged)
    finally:
        _point_site_at(engine, real)
        site = Site(name="local", kind="docker", endpoint=real, images={}, options={})
        engine.driver(site).delete_deployment(dep.id)
    assert labelled(dep.id) == []

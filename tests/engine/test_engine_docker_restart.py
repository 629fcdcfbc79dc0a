"""The Docker engine restarted during a create (a proxy in front of the real engine cut
and restored, see docker_proxy.py): the attempt waits for it and resumes, or, when it
stays away past the timeout, fails with a clear reason; a DELETE cleans up afterwards."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from docker_proxy import DockerProxy
from engine_helpers import catalogue_deployment, labelled, run_next_job
from sqlalchemy import select

from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.engine.requests.deployments import request_delete
from cumulo.engine.runtime import Engine
from cumulo.store.db import utcnow
from cumulo.store.models import Attempt, Deployment, Resource, Site
from cumulo.store.resource_queries import events_of

pytestmark = pytest.mark.e2e

VM_PARAMS = {"ssh_public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench test@cumulo"}


@pytest.fixture
def proxy(engine: Engine, tmp_path: Path):  # type: ignore[no-untyped-def]
    proxy = DockerProxy(tmp_path)
    with engine.db.session() as s:
        site = s.get(Site, "local")
        assert site is not None
        real, site.endpoint = site.endpoint, proxy.endpoint
    yield proxy
    proxy.stop()
    with engine.db.session() as s:
        site = s.get(Site, "local")
        assert site is not None
        site.endpoint = real


def _state(engine: Engine, dep_id: str) -> tuple[str, str | None]:
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None
        return dep.status, dep.status_reason


def _clean(engine: Engine, dep_id: str) -> None:
    request_delete(engine, dep_id, LOCAL_ADMIN)
    run_next_job(engine, "cleaner")
    assert labelled(dep_id) == []


def _start_and_wait_configuring(engine: Engine, dep_id: str) -> threading.Thread:
    """Run the deploy job in a thread until its VM-like container exists, sshd not ready yet."""
    worker = threading.Thread(target=run_next_job, args=(engine,), daemon=True)
    worker.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with engine.db.session() as s:
            res = s.scalars(select(Resource).where(Resource.deployment_id == dep_id)).first()
            if res is not None and res.state == "CONFIGURING":
                return worker
        time.sleep(0.01)
    pytest.fail("the VM never reached CONFIGURING")


def test_a_create_resumes_after_the_engine_comes_back(engine: Engine, proxy: DockerProxy) -> None:
    dep = catalogue_deployment(engine, "vm", VM_PARAMS)
    worker = _start_and_wait_configuring(engine, dep.id)
    proxy.outage(3)
    worker.join(90)
    try:
        status, reason = _state(engine, dep.id)
        assert status == "CREATE_COMPLETE", reason
        assert len(labelled(dep.id)) == 1
        with engine.db.session() as s:
            (res,) = s.scalars(select(Resource).where(Resource.deployment_id == dep.id))
            assert res.physical_id == labelled(dep.id)[0]
        log = _log(engine, dep.id)
        assert "does not answer: waiting for it" in log and "answers again: resuming" in log
    finally:
        _clean(engine, dep.id)


def test_an_engine_that_stays_away_fails_the_attempt_with_a_clear_reason(
    engine: Engine, proxy: DockerProxy
) -> None:
    dep = catalogue_deployment(engine, "vm", VM_PARAMS, provider_timeout_mins=1)
    # The attempt opened 40 s ago (a takeover keeps its clock): 20 s of its minute
    # left, enough for the VM to reach CONFIGURING on a loaded machine.
    with engine.db.session() as s:
        started = utcnow() - timedelta(seconds=40)
        s.add(Attempt(deployment_id=dep.id, number=1, site_name="local", started_at=started))
    try:
        worker = _start_and_wait_configuring(engine, dep.id)
        proxy.stop()
        worker.join(60)
        assert not worker.is_alive()
        status, reason = _state(engine, dep.id)
        assert status == "CREATE_FAILED"
        assert "Error on site local: node server[0]" in (reason or ""), reason
        assert "cleanup of the failed attempt failed" in (reason or "")  # said, not hidden
        assert "site local does not answer: waiting for it" in _log(engine, dep.id)
    finally:
        proxy.listen()
        _clean(engine, dep.id)  # the engine is back: DELETE removes what was left


def _log(engine: Engine, dep_id: str) -> str:
    with engine.db.session() as s:
        return "\n".join(e.message for e in events_of(s, dep_id))

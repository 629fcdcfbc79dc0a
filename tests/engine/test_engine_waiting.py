"""Waiting holds no worker; a deployment says what it waits for; claims are fair per owner.

On simulated sites (the ``sim`` test double) whose nodes take a few seconds to
be ready, as a VM booting on a cloud, and SQLite.
"""

from __future__ import annotations

import uuid

import pytest
from engine_helpers import run_to_end
from sqlalchemy import select

from cumulo import catalogue
from cumulo.auth.identity import LOCAL_ADMIN, Identity
from cumulo.drivers.sim import held
from cumulo.engine.indigo_json import deployment_json
from cumulo.engine.jobs.queue import JobStatus
from cumulo.engine.jobs.worker import run_job
from cumulo.engine.requests.deployments import NewDeployment, create_deployment, request_delete
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import SiteDef
from cumulo.engine.sites.registry import save_site
from cumulo.store.models import Deployment, Event, Job, Resource

RUN_DOCKER = catalogue.find("run-docker").read_text()  # type: ignore[union-attr]
PARAMS = {"docker_image": "cumulo/httpd", "docker_tag": "1"}


@pytest.fixture
def engine(sim_engine: Engine) -> Engine:
    return sim_engine


def slow_site(engine: Engine, ready_after: float = 3.0) -> str:
    name = f"slow-{uuid.uuid4().hex[:8]}"  # the sim double keeps what it made per site name
    save_site(engine, SiteDef(name=name, kind="sim", endpoint="sim://", public=True,
                              options={"ready_after_s": ready_after}))  # fmt: skip
    return name


def deploy(engine: Engine, site: str, owner: Identity = LOCAL_ADMIN) -> str:
    return create_deployment(engine, NewDeployment(RUN_DOCKER, PARAMS, site=site), owner).id


def reason(engine: Engine, dep_id: str) -> str:
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None
        return deployment_json(dep, "http://x").get("statusReason", "")


def test_a_node_not_ready_parks_the_job_and_says_what_it_waits_for(engine: Engine) -> None:
    site = slow_site(engine)
    dep_id = deploy(engine, site)
    assert reason(engine, dep_id).startswith("queued"), reason(engine, dep_id)

    job = engine.queue.claim("w")
    assert job is not None
    run_job(engine, job, "w")  # one step: makes the node, sees it not ready, gives the job back
    with engine.db.session() as s:
        row = s.get(Job, job.id)
        assert row is not None and row.status == JobStatus.PENDING and row.lease_owner is None
        assert row.not_before is not None
        dep = s.get(Deployment, dep_id)
        assert dep is not None and dep.status == "CREATE_IN_PROGRESS"
        (res,) = s.scalars(select(Resource).where(Resource.deployment_id == dep_id))
        assert res.state == "CONFIGURING" and res.physical_id
    said = reason(engine, dep_id)
    assert said.startswith("node app[0]: waiting for node app to boot") and said.endswith(" s")
    assert engine.queue.claim("w") is None  # not due yet: no worker is taken

    run_to_end(engine, job, "w")
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None and dep.status == "CREATE_COMPLETE", dep.status_reason
        assert dep.waiting_for is None
        created = s.scalars(
            select(Event.message).where(
                Event.deployment_id == dep_id,
                Event.kind == "driver",
                Event.message.like("created %"),
            )
        ).all()
        waits = s.scalars(
            select(Event.message).where(
                Event.deployment_id == dep_id, Event.message.like("waiting for %")
            )
        ).all()
    assert len(created) == 1 and len(waits) == 1  # made once, said once
    assert len(held(site)) == 1


def test_a_delete_wakes_a_parked_job_and_removes_what_it_made(engine: Engine) -> None:
    site = slow_site(engine, ready_after=600)
    dep_id = deploy(engine, site)
    job = engine.queue.claim("w")
    assert job is not None
    run_job(engine, job, "w")
    assert len(held(site)) == 1
    request_delete(engine, dep_id, LOCAL_ADMIN)
    woken = engine.queue.claim("w")  # at once, not in ten minutes
    assert woken is not None and woken.id == job.id
    run_job(engine, woken, "w")  # sees the delete and stops
    cleaner = engine.queue.claim("w")
    assert cleaner is not None and cleaner.kind == "delete"
    run_job(engine, cleaner, "w")
    with engine.db.session() as s:
        assert s.get(Deployment, dep_id) is None
    assert held(site) == {}


def test_one_owners_hundred_queued_deployments_do_not_starve_anothers_one(
    engine: Engine,
) -> None:
    site = slow_site(engine, ready_after=0)
    alice = Identity(issuer="local", subject="alice", name="alice")
    bob = Identity(issuer="local", subject="bob", name="bob")
    for _ in range(100):
        deploy(engine, site, alice)
    bobs = deploy(engine, site, bob)
    first, second = engine.queue.claim("w1"), engine.queue.claim("w2")
    assert first is not None and second is not None
    assert bobs in (first.deployment_id, second.deployment_id)

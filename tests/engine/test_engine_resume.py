"""A deploy job taken over after its worker died mid-create: exactly the expected container."""

from __future__ import annotations

import threading
import time

import pytest
from engine_helpers import labelled
from sqlalchemy import select

from cumulo import catalogue
from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.engine.jobs.worker import run_job
from cumulo.engine.lifecycle import deploy
from cumulo.engine.lifecycle.attempt_open import open_attempt
from cumulo.engine.lifecycle.node_requests import node_request
from cumulo.engine.requests.deployments import NewDeployment, create_deployment, request_delete
from cumulo.engine.runtime import Engine
from cumulo.engine.states import NodeState, Status, advance
from cumulo.store.models import Deployment, Resource, Site

pytestmark = pytest.mark.e2e


def test_takeover_after_a_crash_between_create_and_record(engine: Engine) -> None:
    path = catalogue.find("run-docker")
    assert path is not None
    params = {"docker_image": "cumulo/httpd", "docker_tag": "1", "docker_ports": [8080]}
    dep = create_deployment(engine, NewDeployment(path.read_text(), params), LOCAL_ADMIN)
    try:
        # The first worker claims the job, opens the attempt, marks the node CREATING,
        # has the driver make the container... and dies before recording it.
        first = engine.queue.claim("doomed")
        assert first is not None
        ctx = deploy.prepare(engine, first, threading.Event(), Status.CREATE_IN_PROGRESS)
        assert ctx is not None
        plan = ctx.plan
        with engine.db.session() as s:
            site = s.get(Site, "local")
            assert site is not None
            s.expunge(site)
        open_attempt(ctx, site.name)
        with engine.db.session() as s:
            res = s.scalars(select(Resource).where(Resource.deployment_id == dep.id)).one()
            advance(s, res, NodeState.CREATING)
        (inst,) = plan.instances
        req = node_request(dep.id, inst, host_physical_id=None, ssh_user="u", ssh_public_keys=())
        orphan = engine.driver(site).create(req).physical_id
        assert labelled(dep.id) == [orphan]

        time.sleep(0.6)  # the dead worker's lease expires
        second = engine.queue.claim("rescuer")
        assert second is not None and second.id == first.id and second.tries == 2
        run_job(engine, second, "rescuer")

        with engine.db.session() as s:
            got = s.get(Deployment, dep.id)
            assert got is not None and got.status == "CREATE_COMPLETE", got.status_reason
            res = s.scalars(select(Resource).where(Resource.deployment_id == dep.id)).one()
            assert (res.state, res.physical_id) == ("CONFIGURED", orphan)
        assert labelled(dep.id) == [orphan]  # found again, not made twice
    finally:
        request_delete(engine, dep.id, LOCAL_ADMIN)
        job = engine.queue.claim("cleaner")
        assert job is not None
        run_job(engine, job, "cleaner")
    assert labelled(dep.id) == []

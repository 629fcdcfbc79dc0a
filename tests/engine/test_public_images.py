"""Templates of public images (issue 17): the local Docker site, which pulls nothing, is
left out before anything is tried; a site declaring ``public_images`` takes them.

The site that takes them is the ``sim`` test double: it makes nothing, so reaching
CREATE_COMPLETE there shows the scheduling and the plan, not that the services run.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from tests.catalogue.public_image_entries import PUBLIC_IMAGE_ENTRIES, with_local_site

from cumulo import catalogue
from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.drivers.sim import held
from cumulo.engine.jobs.worker import run_job
from cumulo.engine.requests.deployments import NewDeployment, create_deployment, request_delete
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import SiteDef
from cumulo.engine.sites.registry import save_site
from cumulo.errors import BadRequest
from cumulo.store.models import Attempt, Deployment

ENTRIES = PUBLIC_IMAGE_ENTRIES


@pytest.fixture
def engine(sim_engine: Engine) -> Engine:
    return with_local_site(sim_engine)


def new(name: str, **kw: Any) -> NewDeployment:
    text = catalogue.find(name).read_text()  # type: ignore[union-attr]
    return NewDeployment(template=text, parameters=ENTRIES[name][0], **kw)


def run_jobs(engine: Engine) -> None:
    while (job := engine.queue.claim("test")) is not None:
        run_job(engine, job, "test")


def deployments(engine: Engine) -> list[str]:
    with engine.db.session() as s:
        return list(s.scalars(select(Deployment.id)))


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_the_local_site_alone_refuses_at_request_naming_the_image(
    engine: Engine, name: str
) -> None:
    with pytest.raises(BadRequest) as err:
        create_deployment(engine, new(name), LOCAL_ADMIN)
    message = str(err.value)
    assert "is not available on site local" in message, message
    assert message.startswith(f"image {ENTRIES[name][1]} is not available on site local")
    assert deployments(engine) == []


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_a_site_that_pulls_public_images_takes_them(engine: Engine, name: str) -> None:
    site = f"pull-{name}"  # the sim double keeps what it made per site name, process-wide
    save_site(engine, SiteDef(name=site, kind="sim", endpoint="sim://", public=True,
                              capabilities={"public_images": True}))  # fmt: skip
    dep_id = create_deployment(engine, new(name), LOCAL_ADMIN).id
    run_jobs(engine)
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None
        assert dep.status == "CREATE_COMPLETE", dep.status_reason
        assert dep.site_name == site
        why = {c["site"]: c for c in dep.scheduling["candidates"]}  # type: ignore[index]
        tried = list(s.scalars(select(Attempt.site_name).where(Attempt.deployment_id == dep_id)))
    assert why["local"]["verdict"] == "rejected"
    assert "is not available on site local" in why["local"]["reason"]
    assert tried == [site]  # the local site was never tried
    made = list(held(site).values())
    nodes = {"htcondor": 4, "elasticsearch-kibana": 2}.get(name, 1)  # cm, schedd, 2 execute
    assert made == [dep_id] * nodes
    request_delete(engine, dep_id, LOCAL_ADMIN)
    run_jobs(engine)
    assert held(site) == {}


def test_the_local_site_still_takes_its_own_images(engine: Engine) -> None:
    text = catalogue.find("run-docker").read_text()  # type: ignore[union-attr]
    dep = create_deployment(
        engine, NewDeployment(template=text, parameters={"docker_image": "cumulo/httpd",
                                                         "docker_tag": "1"}), LOCAL_ADMIN,
    )  # fmt: skip
    run_jobs(engine)
    with engine.db.session() as s:
        done = s.get(Deployment, dep.id)
        assert done is not None
        assert (done.status, done.site_name) == ("CREATE_COMPLETE", "local"), done.status_reason
    request_delete(engine, dep.id, LOCAL_ADMIN)
    run_jobs(engine)
    with engine.db.session() as s:
        gone = s.get(Deployment, dep.id)
        assert gone is None or gone.status == "DELETE_COMPLETE"

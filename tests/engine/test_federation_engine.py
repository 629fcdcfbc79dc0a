"""The federation in the engine, on simulated sites (the ``sim`` test double) and SQLite.

Fallback across ranked sites, maxProvidersRetry, SLA limits counted from the
store, manual placement, health probes, and the recorded explanation.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cumulo import catalogue
from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.drivers.sim import held
from cumulo.engine.jobs.worker import run_job
from cumulo.engine.requests.deployments import NewDeployment, create_deployment, request_delete
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import SiteDef, SlaDef
from cumulo.engine.sites.health import probe_all
from cumulo.engine.sites.registry import save_site, save_sla
from cumulo.errors import BadRequest
from cumulo.store.models import Attempt, Deployment

RUN_DOCKER = catalogue.find("run-docker").read_text()  # type: ignore[union-attr]
PARAMS = {"docker_image": "cumulo/httpd", "docker_tag": "1"}


@pytest.fixture
def engine(sim_engine: Engine) -> Engine:
    return sim_engine


def add_site(engine: Engine, name: str, **kw: Any) -> None:
    # Unique names per test: the sim double keeps what it made per site name, process-wide.
    save_site(engine, SiteDef(name=name, kind="sim", endpoint="sim://", **kw))


def run_jobs(engine: Engine) -> None:
    while (job := engine.queue.claim("test")) is not None:
        run_job(engine, job, "test")


def deploy(engine: Engine, **kw: Any) -> Deployment:
    new = NewDeployment(template=kw.pop("template", RUN_DOCKER), parameters=PARAMS, **kw)
    dep_id = create_deployment(engine, new, LOCAL_ADMIN).id
    run_jobs(engine)
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None
        return dep


def attempts(engine: Engine, dep_id: str) -> list[tuple[str, str]]:
    with engine.db.session() as s:
        rows = s.scalars(
            select(Attempt).where(Attempt.deployment_id == dep_id).order_by(Attempt.number)
        )
        return [(a.site_name, a.status) for a in rows]


def test_a_failing_site_falls_back_to_the_next_one_skipping_maintenance(engine: Engine) -> None:
    add_site(engine, "fb-a", public=True, options={"failure_rate": 1})
    add_site(engine, "fb-b", public=True, status="maintenance")
    add_site(engine, "fb-c", public=True)
    dep = deploy(engine)
    assert dep.status == "CREATE_COMPLETE", dep.status_reason
    assert dep.site_name == "fb-c"
    assert attempts(engine, dep.id) == [("fb-a", "FAILED"), ("fb-c", "SUCCEEDED")]
    assert held("fb-a") == {}  # the failed attempt was cleaned up on its site
    assert list(held("fb-c").values()) == [dep.id]
    why = {c["site"]: c for c in dep.scheduling["candidates"]}  # type: ignore[index]
    assert why["fb-b"]["reason"] == "site status is maintenance"
    assert dep.scheduling["ranked"] == ["fb-a", "fb-c"]  # type: ignore[index]
    with engine.db.session() as s:
        error = s.scalars(select(Attempt.error).where(Attempt.site_name == "fb-a")).one()
    assert error == "node app[0]: simulated failure on site fb-a"


def test_every_attempt_error_is_in_the_final_error_with_its_duration(engine: Engine) -> None:
    add_site(engine, "all-a", public=True, options={"failure_rate": 1})
    add_site(engine, "all-b", public=True, options={"failure_rate": 1})
    dep = deploy(engine)
    assert dep.status == "CREATE_FAILED"
    reason = dep.status_reason or ""
    assert reason.startswith("Retries on cloud providers exhausted. Error list is: ")
    assert "site all-a: node app[0]: simulated failure on site all-a (" in reason
    assert "site all-b: node app[0]: simulated failure on site all-b (" in reason
    assert reason.count(" s)") == 2


def test_max_providers_retry_bounds_the_sites_tried(engine: Engine) -> None:
    add_site(engine, "mr-a", public=True, options={"failure_rate": 1})
    add_site(engine, "mr-b", public=True)
    dep = deploy(engine, max_providers_retry=1)
    assert dep.status == "CREATE_FAILED"
    assert dep.status_reason == "Error on site mr-a: node app[0]: simulated failure on site mr-a"
    assert attempts(engine, dep.id) == [("mr-a", "FAILED")]


def test_sla_limits_count_the_groups_live_deployments(engine: Engine) -> None:
    add_site(engine, "q-high")
    add_site(engine, "q-low")
    save_sla(engine.db, SlaDef(id="q1", group="phys", site="q-high", priority=5,
                               limits={"instances": 1}))  # fmt: skip
    save_sla(engine.db, SlaDef(id="q2", group="phys", site="q-low", priority=1))
    first = deploy(engine, user_group="phys")
    assert first.site_name == "q-high"
    second = deploy(engine, user_group="phys")
    assert second.status == "CREATE_COMPLETE" and second.site_name == "q-low"
    why = {c["site"]: c["reason"] for c in second.scheduling["candidates"]}  # type: ignore[index]
    assert why["q-high"] == "SLA q1 limit reached: instances: 1 used + 1 asked > 1"
    # Once the first is deleted its instance no longer counts.
    request_delete(engine, first.id, LOCAL_ADMIN)
    run_jobs(engine)
    assert deploy(engine, user_group="phys").site_name == "q-high"


def test_a_group_without_slas_gets_no_site(engine: Engine) -> None:
    add_site(engine, "ng-a", public=True)
    dep = deploy(engine, user_group="nobody")
    assert dep.status == "CREATE_FAILED"
    assert dep.status_reason == (
        "No cloud provider meets the deployment requirements: "
        "no site is open to group nobody (it needs an active SLA)"
    )


def test_manual_site_choice(engine: Engine) -> None:
    add_site(engine, "m-a", public=True)
    add_site(engine, "m-b", public=True)
    add_site(engine, "m-off", public=True, status="maintenance")
    assert deploy(engine, site="m-b").site_name == "m-b"
    with pytest.raises(BadRequest, match="the chosen site m-off cannot take this deployment"):
        create_deployment(engine, NewDeployment(RUN_DOCKER, PARAMS, site="m-off"), LOCAL_ADMIN)
    with pytest.raises(BadRequest, match="site nowhere is not open to deployments without"):
        create_deployment(engine, NewDeployment(RUN_DOCKER, PARAMS, site="nowhere"), LOCAL_ADMIN)


def test_sla_placement_policy_in_the_template(engine: Engine) -> None:
    add_site(engine, "p-a")
    add_site(engine, "p-b")
    save_sla(engine.db, SlaDef(id="p-sla-a", group="phys", site="p-a", priority=9))
    save_sla(engine.db, SlaDef(id="p-sla-b", group="phys", site="p-b"))
    policy = (
        "\n  policies:\n    - manual:\n        type: tosca.policies.indigo.SlaPlacement\n"
        "        properties: { sla_id: p-sla-b }\n"
    )
    template = RUN_DOCKER.replace("\n  outputs:", policy + "\n  outputs:")
    dep = deploy(engine, template=template, user_group="phys")
    assert dep.site_name == "p-b"
    assert dep.scheduling["placement"] == "manual"  # type: ignore[index]
    wrong = template.replace("p-sla-b", "p-sla-zz")
    with pytest.raises(BadRequest, match="placement: no SLA with id p-sla-zz"):
        create_deployment(engine, NewDeployment(wrong, PARAMS, user_group="phys"), LOCAL_ADMIN)


def test_a_site_failing_its_probe_is_skipped(engine: Engine) -> None:
    add_site(engine, "h-down", public=True, options={"down": True})
    add_site(engine, "h-up", public=True)
    probe_all(engine)
    dep = deploy(engine)
    assert dep.site_name == "h-up"
    assert attempts(engine, dep.id) == [("h-up", "SUCCEEDED")]
    why = {c["site"]: c["reason"] for c in dep.scheduling["candidates"]}  # type: ignore[index]
    assert why["h-down"] == "failing its health probe: site h-down is down (simulated)"


def test_flavors_and_images_of_a_vm(engine: Engine) -> None:
    vm = catalogue.find("vm").read_text()  # type: ignore[union-attr]
    add_site(engine, "v-small", public=True, flavors=[{"name": "s", "vcpus": 1, "ram": "1 GB"}],
             images={"debian": {"12": "x"}})  # fmt: skip
    add_site(engine, "v-ubuntu", public=True, images={"ubuntu": {"22.04": "u"}})
    add_site(engine, "v-ok", public=True, images={"debian": {12: "x"}},
             flavors=[{"name": "m", "vcpus": 4, "ram": "8 GB", "disk": "40 GB"}])  # fmt: skip
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG2bKj8qJp3m0p9yT6rJ4ZcXbq0kXJmE7c3mC0bQ1xYz t@h"
    new = NewDeployment(vm, {"num_cpus": 2, "mem_size": "2 GB", "ssh_public_key": key})
    dep_id = create_deployment(engine, new, LOCAL_ADMIN).id
    run_jobs(engine)
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None and dep.site_name == "v-ok", dep.status_reason
        why = {c["site"]: c for c in dep.scheduling["candidates"]}  # type: ignore[index]
    assert why["v-small"]["reason"].startswith("no flavor fits node ")
    assert why["v-ubuntu"]["reason"].startswith("no image for debian")
    assert why["v-ok"]["flavors"] == {next(iter(why["v-ok"]["flavors"])): "m"}


def test_after_a_takeover_failed_sites_are_not_tried_again(engine: Engine) -> None:
    add_site(engine, "t-a", public=True)
    add_site(engine, "t-b", public=True, options={"failure_rate": 1})
    new = NewDeployment(RUN_DOCKER, PARAMS, max_providers_retry=2)
    dep_id = create_deployment(engine, new, LOCAL_ADMIN).id
    with engine.db.session() as s:  # a worker died after t-a failed
        s.add(Attempt(deployment_id=dep_id, number=1, site_name="t-a", status="FAILED",
                      error="node app[0]: it broke"))  # fmt: skip
    run_jobs(engine)
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None and dep.status == "CREATE_FAILED"
        reason = dep.status_reason or ""
    assert attempts(engine, dep_id) == [("t-a", "FAILED"), ("t-b", "FAILED")]
    assert reason.startswith("Retries on cloud providers exhausted. Error list is: ")
    assert "site t-a: node app[0]: it broke (" in reason
    assert "site t-b: node app[0]: simulated failure on site t-b (" in reason
    assert held("t-a") == {}


def test_a_size_refusal_is_kept_per_registry_fingerprint(engine: Engine) -> None:
    """``never_fits`` runs once per registry snapshot and request shape: the same request
    gets the same 400, and a changed SLA is seen by the next request."""
    add_site(engine, "kept-1")
    save_sla(engine.db, SlaDef(id="kept-sla", group="g", site="kept-1", limits={"instances": 0}))
    messages = []
    for _ in range(2):
        with pytest.raises(BadRequest) as err:
            create_deployment(engine, NewDeployment(RUN_DOCKER, PARAMS, user_group="g"),
                              LOCAL_ADMIN)  # fmt: skip
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "larger than any site open to it allows" in messages[0] and "kept-sla" in messages[0]
    save_sla(engine.db, SlaDef(id="kept-sla", group="g", site="kept-1", limits={"instances": 5}),
             replace=True)  # fmt: skip
    dep = deploy(engine, user_group="g")
    assert dep.status == "CREATE_COMPLETE" and dep.site_name == "kept-1"

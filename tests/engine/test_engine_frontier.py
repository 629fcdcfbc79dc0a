"""Independent nodes of an attempt advance together (``lifecycle.frontier``).

On simulated sites (the ``sim`` test double) and SQLite: nodes whose
dependencies are done are made in the same job run, before the job parks;
concurrent configurations fail the attempt with the failing node's reason;
a job killed mid-way is taken over and resumes with nothing made twice.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import run_to_end
from sqlalchemy import select

from cumulo import catalogue
from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.config import Settings
from cumulo.drivers.sim import held
from cumulo.engine.indigo_json import deployment_json
from cumulo.engine.jobs.worker import run_job
from cumulo.engine.lifecycle import deploy, frontier, node_step
from cumulo.engine.lifecycle.attempt_open import open_attempt
from cumulo.engine.lifecycle.node_requests import node_request
from cumulo.engine.requests.deployments import NewDeployment, create_deployment
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import SiteDef
from cumulo.engine.sites.drivers import DRIVER_CLASSES, register_driver_kind
from cumulo.engine.sites.registry import save_site
from cumulo.engine.states import NodeState, Status, advance
from cumulo.errors import CumuloError
from cumulo.store.models import Deployment, Event, Resource, Site

HEADER = """\
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - indigo_custom_types: https://cumulo.dev/tosca/indigo/custom_types.yaml
node_types:
  test.Scaled:
    derived_from: tosca.nodes.SoftwareComponent
    capabilities:
      scalable:
        type: tosca.capabilities.indigo.Scalable
topology_template:
  node_templates:
"""
SERVER = """\
    {name}:
      type: tosca.nodes.indigo.Compute
      capabilities:
        os: {{ properties: {{ image: cumulo/vm-debian:12 }} }}
{extra}"""
# Two servers independent of each other, a third that needs the first.
THREE_SERVERS = HEADER + "".join(
    SERVER.format(name=name, extra=extra)
    for name, extra in [
        ("first", ""),
        ("second", ""),
        ("after", "      requirements:\n        - dependency: first\n"),
    ]
)
# One server, then components on it, configured at once.
COMPONENTS = (
    HEADER
    + SERVER.format(name="server", extra="")
    + "".join(
        f"    {name}:\n      type: tosca.nodes.SoftwareComponent\n"
        "      requirements:\n        - host: server\n"
        for name in ("good", "bad")
    )
)
SCALED = (
    HEADER
    + SERVER.format(name="server", extra="")
    + """\
    many:
      type: test.Scaled
      capabilities:
        scalable: { properties: { count: 7 } }
      requirements:
        - host: server
"""
)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """The ``sim`` site kind, and a short lease (a dead worker's job is taken over soon)."""
    register_driver_kind("sim", "cumulo.drivers.sim:SimDriver")
    eng = Engine(Settings(data_dir=tmp_path, job_lease_seconds=0.5))
    yield eng
    eng.close()
    DRIVER_CLASSES.pop("sim", None)


def sim_site(engine: Engine, ready_after: float) -> str:
    name = f"front-{uuid.uuid4().hex[:8]}"  # the sim double keeps what it made per site name
    save_site(engine, SiteDef(name=name, kind="sim", endpoint="sim://", public=True,
                              images={"debian": {"12": "cumulo/vm-debian:12"}},
                              options={"ready_after_s": ready_after}))  # fmt: skip
    return name


def deploy_on(engine: Engine, site: str, template: str) -> str:
    return create_deployment(engine, NewDeployment(template, {}, site=site), LOCAL_ADMIN).id


def states(engine: Engine, dep_id: str) -> dict[str, tuple[str, str | None]]:
    with engine.db.session() as s:
        rows = s.scalars(select(Resource).where(Resource.deployment_id == dep_id))
        return {f"{r.node_name}[{r.node_index}]": (r.state, r.physical_id) for r in rows}


def events(engine: Engine, dep_id: str, like: str) -> list[tuple[str | None, str]]:
    with engine.db.session() as s:
        found = s.execute(
            select(Event.node, Event.message)
            .where(Event.deployment_id == dep_id, Event.message.like(like))
            .where(Event.kind.in_(("driver", "info")))  # LIKE ignores case: not state changes
            .order_by(Event.id)
        )
        return [(node, message) for node, message in found]


def status(engine: Engine, dep_id: str) -> tuple[str, str]:
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None
        return dep.status, deployment_json(dep, "http://x").get("statusReason", "")


def test_independent_nodes_are_made_before_the_job_parks_dependent_ones_after(
    engine: Engine,
) -> None:
    site = sim_site(engine, ready_after=2.5)  # longer than a step's first look (2 s)
    dep_id = deploy_on(engine, site, THREE_SERVERS)
    job = engine.queue.claim("w")
    assert job is not None
    run_job(engine, job, "w")  # one run: makes both independent servers, then parks

    got = states(engine, dep_id)
    assert got["first[0]"][0] == got["second[0]"][0] == "CONFIGURING"
    assert got["first[0]"][1] and got["second[0]"][1]
    assert got["after[0]"] == ("INITIAL", None)  # it needs first, not ready yet
    in_progress, said = status(engine, dep_id)
    assert in_progress == "CREATE_IN_PROGRESS"
    assert said.startswith("node first[0]: waiting for node first to boot"), said
    assert "(+1 more), " in said
    waits = {node for node, _ in events(engine, dep_id, "waiting for %")}
    assert waits == {"first[0]", "second[0]"}

    run_to_end(engine, job, "w")
    done, said = status(engine, dep_id)
    assert done == "CREATE_COMPLETE", said
    created = events(engine, dep_id, "created %")
    assert sorted(node or "" for node, _ in created) == ["after[0]", "first[0]", "second[0]"]
    # each waiting node said so once, not at every look
    waits_by_node = [node for node, _ in events(engine, dep_id, "waiting for %")]
    assert sorted(waits_by_node) == ["after[0]", "first[0]", "second[0]"]
    assert len(held(site)) == 3


def fake_operations(started: dict[str, threading.Event], ended: list[str]) -> Any:
    """``run_operations`` for the components: each waits until the other has started
    (so they run at once, or the step fails saying so); ``bad`` then fails."""

    def run(engine: Engine, dep_id: str, plan: Any, instance: Any, index: int,
            attributes: Any, site: Any, *rest: Any) -> dict[str, Any]:  # fmt: skip
        started[instance.node].set()
        other = "good" if instance.node == "bad" else "bad"
        if not started[other].wait(10):
            raise CumuloError(f"{instance.node} ran alone")
        if instance.node == "bad":
            raise CumuloError("node bad: operation Standard.configure: boom")
        time.sleep(0.3)  # still running when bad fails: the attempt waits for it
        ended.append(instance.node)
        return {}

    return run


def test_a_failing_concurrent_configuration_fails_the_attempt_with_its_reason(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = {"good": threading.Event(), "bad": threading.Event()}
    ended: list[str] = []
    monkeypatch.setattr(node_step, "run_operations", fake_operations(started, ended))
    site = sim_site(engine, ready_after=0)
    dep_id = deploy_on(engine, site, COMPONENTS)
    job = engine.queue.claim("w")
    assert job is not None
    run_to_end(engine, job, "w")

    failed, said = status(engine, dep_id)
    assert failed == "CREATE_FAILED"
    assert "node bad[0]: operation Standard.configure: boom" in said, said
    assert "ran alone" not in said
    assert ended == ["good"]  # awaited, not left running
    with engine.db.session() as s:
        log = s.execute(
            select(Event.node, Event.message).where(Event.deployment_id == dep_id)
            .order_by(Event.id)
        ).all()  # fmt: skip
    failure = next(n for n, (_, m) in enumerate(log) if m.startswith("attempt failed"))
    configured = [
        n
        for n, (node, m) in enumerate(log)
        if (node, m) == ("good[0]", "CONFIGURING -> CONFIGURED")
    ]
    assert configured and configured[0] < failure, log  # good ended before the attempt did
    assert held(site) == {}  # the failed attempt was cleaned up


def test_configurations_at_once_are_bounded(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock, now, most = threading.Lock(), [0], [0]

    def run(*args: Any) -> dict[str, Any]:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.2)
        with lock:
            now[0] -= 1
        return {}

    monkeypatch.setattr(node_step, "run_operations", run)
    dep_id = deploy_on(engine, sim_site(engine, ready_after=0), SCALED)
    job = engine.queue.claim("w")
    assert job is not None
    run_to_end(engine, job, "w")
    assert status(engine, dep_id)[0] == "CREATE_COMPLETE"
    assert 2 <= most[0] <= frontier.MAX_STEPS


def test_a_job_killed_mid_way_is_taken_over_and_makes_nothing_twice(engine: Engine) -> None:
    site_name = sim_site(engine, ready_after=2.5)
    dep_id = deploy_on(engine, site_name, THREE_SERVERS)
    # The first worker opens the attempt and has both independent servers made at once,
    # then dies before recording either (its steps were mid-create).
    first = engine.queue.claim("doomed")
    assert first is not None
    ctx = deploy.prepare(engine, first, threading.Event(), Status.CREATE_IN_PROGRESS)
    assert ctx is not None
    with engine.db.session() as s:
        site = s.get(Site, site_name)
        assert site is not None
        s.expunge(site)
    open_attempt(ctx, site_name)
    orphans = []
    for inst in ctx.plan.instances[:2]:
        with engine.db.session() as s:
            row = s.scalars(
                select(Resource).where(Resource.deployment_id == dep_id,
                                       Resource.node_name == inst.node)
            ).one()  # fmt: skip
            advance(s, row, NodeState.CREATING)
        req = node_request(dep_id, inst, host_physical_id=None, ssh_user="u", ssh_public_keys=())
        orphans.append(engine.driver(site).create(req).physical_id)
    assert sorted(held(site_name)) == sorted(orphans)

    time.sleep(0.6)  # the dead worker's lease expires
    second = engine.queue.claim("rescuer")
    assert second is not None and second.id == first.id and second.tries == 2
    run_to_end(engine, second, "rescuer")

    done, said = status(engine, dep_id)
    assert done == "CREATE_COMPLETE", said
    got = states(engine, dep_id)
    assert {got["first[0]"][1], got["second[0]"][1]} == set(orphans)  # found again, not remade
    assert len(held(site_name)) == 3 and set(orphans) <= set(held(site_name))
    created = [node for node, _ in events(engine, dep_id, "created %")]
    assert sorted(node or "" for node in created) == ["after[0]", "first[0]", "second[0]"]
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None and dep.waiting_for is None


def test_what_each_node_of_the_spark_cluster_waits_for(engine: Engine) -> None:
    template = catalogue.find("spark-jupyter").read_text()  # type: ignore[union-attr]
    plan = engine.plan(template, {"jupyter_password": "secret-pass", "slave_num": 2})
    deps = frontier.dependencies([(inst, inst.key) for inst in plan.instances])
    servers = [("spark_master_server", 0), ("spark_worker_server", 0),
               ("spark_worker_server", 1), ("notebooks_volume", 0)]  # fmt: skip
    assert all(deps[key] == set() for key in servers)  # made at once
    assert deps[("jupyter_server", 0)] == {("notebooks_volume", 0)}
    assert deps[("spark_master", 0)] == {("spark_master_server", 0)}
    for i in (0, 1):  # its own host, the master and its server (get_attribute)
        assert deps[("spark_worker", i)] == {
            ("spark_worker_server", i), ("spark_master", 0), ("spark_master_server", 0)
        }  # fmt: skip
    assert deps[("jupyterhub", 0)] == {
        ("jupyter_server", 0), ("spark_worker", 0), ("spark_worker", 1),
        ("spark_master_server", 0),
    }  # fmt: skip

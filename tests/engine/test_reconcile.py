"""The reconciler on simulated sites (a cloud's servers shut off, deleted or unseen behind
cumulo's back): what it records, what it restarts, what it leaves alone."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from engine_helpers import run_next_job
from sqlalchemy import select, update

from cumulo import catalogue
from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.config import Settings
from cumulo.drivers.sim import held
from cumulo.engine.indigo_json import deployment_json
from cumulo.engine.jobs.queue import JobKind, JobStatus
from cumulo.engine.jobs.worker import WorkerPool, run_job
from cumulo.engine.lifecycle import reconcile_job
from cumulo.engine.lifecycle.reconcile import reconcile_once
from cumulo.engine.requests.changes import request_action
from cumulo.engine.requests.deployments import NewDeployment, create_deployment, request_delete
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import SiteDef
from cumulo.engine.sites.drivers import DRIVER_CLASSES, register_driver_kind
from cumulo.engine.sites.registry import save_site
from cumulo.store.models import Deployment, Event, Job, Resource, Site

VM = catalogue.find("vm").read_text()  # type: ignore[union-attr]
VM_PARAMS = {"ssh_public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench test@cumulo"}


@pytest.fixture
def engine(sim_engine: Engine) -> Engine:
    return sim_engine


def site_def(name: str, endpoint: str = "sim://", **options: object) -> SiteDef:
    return SiteDef(name=name, kind="sim", endpoint=endpoint, public=True,
                   images={"debian": {"12": "debian-12"}}, options=dict(options))  # fmt: skip


def sim_site(engine: Engine) -> str:
    name = f"cloud-{uuid.uuid4().hex[:8]}"  # the sim double keeps what it made per site name
    save_site(engine, site_def(name))
    return name


def deployed(engine: Engine, site: str) -> tuple[str, str]:
    """A VM deployment made on ``site``: (deployment id, the server's physical id)."""
    dep = create_deployment(engine, NewDeployment(VM, VM_PARAMS, site=site), LOCAL_ADMIN)
    run_next_job(engine)
    res = resource(engine, dep.id)
    assert status(engine, dep.id) == ("CREATE_COMPLETE", None)
    assert res.state == "CONFIGURED" and res.physical_id
    return dep.id, res.physical_id


def resource(engine: Engine, dep_id: str) -> Resource:
    with engine.db.session() as s:
        (res,) = s.scalars(select(Resource).where(Resource.deployment_id == dep_id))
        s.expunge(res)
        return res


def status(engine: Engine, dep_id: str) -> tuple[str, str | None]:
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None
        return dep.status, deployment_json(dep, "http://x").get("statusReason")


def driver(engine: Engine, site: str):  # type: ignore[no-untyped-def]
    with engine.db.session() as s:
        row = s.get(Site, site)
        assert row is not None
        s.expunge(row)
    return engine.driver(row)


def messages(engine: Engine, dep_id: str) -> list[str]:
    with engine.db.session() as s:
        return list(s.scalars(select(Event.message).where(Event.deployment_id == dep_id)))


def test_a_server_shut_off_behind_cumulos_back_is_started_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = sim_site(engine)
    dep_id, pid = deployed(engine, site)
    assert reconcile_once(engine) == 0  # all as recorded: nothing to do

    driver(engine, site).stop(pid)  # SHUTOFF, not by cumulo
    assert reconcile_once(engine) == 1
    assert reconcile_once(engine) == 0  # one job at a time per deployment
    job = engine.queue.claim("w")
    assert job is not None and job.kind == JobKind.RECONCILE
    run_job(engine, job, "w")  # down for less than the grace: said, not restarted yet
    assert resource(engine, dep_id).state == "STOPPED"
    assert driver(engine, site).observe(pid) == "STOPPED"
    _, reason = status(engine, dep_id)
    assert reason and reason.startswith("node server[0]: down since "), reason
    assert reason.endswith(" UTC (stopped), restarting"), reason
    assert engine.queue.get(job.id).status == JobStatus.PENDING  # type: ignore[union-attr]
    assert engine.queue.claim("w") is None  # parked until the grace is over

    monkeypatch.setattr(reconcile_job, "RESTART_GRACE", 0.0)
    with engine.db.session() as s:  # due now
        s.execute(update(Job).where(Job.id == job.id).values(not_before=None))
    run_next_job(engine)

    assert driver(engine, site).observe(pid) == "STARTED"
    res = resource(engine, dep_id)
    assert res.state == "CONFIGURED" and "outage" not in res.attributes
    assert status(engine, dep_id) == ("CREATE_COMPLETE", None)
    log = messages(engine, dep_id)
    assert "CONFIGURED -> STOPPED" in log and "STOPPED -> CONFIGURED" in log
    assert any(m.startswith("node server[0]: down since ") and m.endswith("restarting")
               for m in log), log  # fmt: skip
    assert any(m.startswith("node server[0]: running again") for m in log), log


def test_an_unreachable_site_says_so_and_clears_when_it_answers(engine: Engine) -> None:
    site = sim_site(engine)
    dep_id, pid = deployed(engine, site)
    # the site stops answering (a new endpoint: drivers are kept per site and endpoint)
    save_site(engine, site_def(site, "sim://away", down=True), replace=True)
    assert reconcile_once(engine) == 1
    run_next_job(engine)
    res = resource(engine, dep_id)
    assert res.state == "CONFIGURED"  # not known to be down: its state is kept
    assert res.attributes["outage"]["kind"] == "unseen"
    _, reason = status(engine, dep_id)
    assert reason and reason.startswith("node server[0]: not seen since "), reason
    assert "is down (simulated)" in reason
    assert reconcile_once(engine) == 0  # said once; nothing to do while it lasts

    save_site(engine, site_def(site), replace=True)
    assert reconcile_once(engine) == 1
    run_next_job(engine)
    assert status(engine, dep_id) == ("CREATE_COMPLETE", None)
    res = resource(engine, dep_id)
    assert res.state == "CONFIGURED" and "outage" not in res.attributes
    assert res.physical_id == pid


def test_a_server_deleted_behind_cumulos_back_is_an_error_never_made_again(
    engine: Engine,
) -> None:
    site = sim_site(engine)
    dep_id, pid = deployed(engine, site)
    driver(engine, site).delete(pid)
    assert reconcile_once(engine) == 1
    run_next_job(engine)
    res = resource(engine, dep_id)
    assert res.state == "ERROR" and res.physical_id == pid
    _, reason = status(engine, dep_id)
    assert reason and "node server[0]: gone since " in reason
    assert "removed outside cumulo" in reason and "deploy it again" in reason
    assert pid not in held(site) and held(site) == {}  # nothing made instead
    assert reconcile_once(engine) == 0  # said once


def test_a_node_its_user_stopped_stays_stopped(engine: Engine) -> None:
    site = sim_site(engine)
    dep_id, pid = deployed(engine, site)
    request_action(engine, dep_id, resource(engine, dep_id).id, "stop", LOCAL_ADMIN)
    run_next_job(engine)
    assert resource(engine, dep_id).state == "STOPPED"
    assert driver(engine, site).observe(pid) == "STOPPED"
    assert reconcile_once(engine) == 0
    assert driver(engine, site).observe(pid) == "STOPPED"


def test_a_deployment_with_a_job_is_left_to_its_job(engine: Engine) -> None:
    site = sim_site(engine)
    dep_id, pid = deployed(engine, site)
    driver(engine, site).stop(pid)
    request_delete(engine, dep_id, LOCAL_ADMIN)  # queued, not run yet
    assert reconcile_once(engine) == 0
    with engine.db.session() as s:
        kinds = s.scalars(select(Job.kind).where(Job.deployment_id == dep_id)).all()
    assert JobKind.RECONCILE.value not in kinds
    run_next_job(engine)
    assert held(site) == {}


def test_the_workers_reconciler_brings_a_node_back_by_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reconcile_job, "RESTART_GRACE", 0.5)
    register_driver_kind("sim", "cumulo.drivers.sim:SimDriver")
    engine = Engine(Settings(data_dir=tmp_path, reconcile_seconds=0.5, job_poll_seconds=0.05))
    pool = WorkerPool(engine, 1)
    pool.start()
    try:
        site = sim_site(engine)
        dep = create_deployment(engine, NewDeployment(VM, VM_PARAMS, site=site), LOCAL_ADMIN)
        deadline = time.monotonic() + 30
        while status(engine, dep.id)[0] != "CREATE_COMPLETE":
            assert time.monotonic() < deadline, status(engine, dep.id)
            time.sleep(0.05)
        pid = resource(engine, dep.id).physical_id
        assert pid
        driver(engine, site).stop(pid)
        while driver(engine, site).observe(pid) != "STARTED" or "running again" not in " ".join(
            messages(engine, dep.id)
        ):
            assert time.monotonic() < deadline, messages(engine, dep.id)
            time.sleep(0.05)
        assert resource(engine, dep.id).state == "CONFIGURED"
        while True:  # the reconcile job ends right after the node's event
            with engine.db.session() as s:
                jobs = s.scalars(select(Job).where(Job.deployment_id == dep.id)).all()
            assert {j.kind for j in jobs} == {"deploy", "reconcile"}
            if all(j.status == JobStatus.DONE for j in jobs):
                break
            assert time.monotonic() < deadline, [(j.kind, j.status) for j in jobs]
            time.sleep(0.05)
    finally:
        pool.stop()
        engine.close()
        DRIVER_CLASSES.pop("sim", None)

"""How a deploy job ends (issue 12, item 6): the attempt's end, the final status and the
job's DONE are one transaction; a worker dying just before it loses nothing; one
thread keeps the leases of every running job and says when one is lost."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import select, update

from cumulo import catalogue
from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.config import Settings
from cumulo.engine import callbacks
from cumulo.engine.jobs.leases import renewer_of
from cumulo.engine.jobs.queue import JobKind, enqueue
from cumulo.engine.jobs.worker import run_job
from cumulo.engine.lifecycle import deploy
from cumulo.engine.lifecycle.attempt import run_attempt
from cumulo.engine.lifecycle.placement_loop import load_site
from cumulo.engine.requests.deployments import NewDeployment, create_deployment
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import SiteDef
from cumulo.engine.sites.registry import save_site
from cumulo.engine.states import Status
from cumulo.store.direct import orm_of
from cumulo.store.models import Attempt, Callback, Deployment, Event, Job

RUN_DOCKER = catalogue.find("run-docker").read_text()  # type: ignore[union-attr]
PARAMS = {"docker_image": "cumulo/httpd", "docker_tag": "1"}
HOOK = "https://hooks.example.org/done"


def _deployment(engine: Engine, site: str, callback: str | None = None) -> str:
    save_site(engine, SiteDef(name=site, kind="sim", endpoint="sim://", public=True))
    new = NewDeployment(RUN_DOCKER, PARAMS, callback=callback)
    return create_deployment(engine, new, LOCAL_ADMIN).id


def _row(engine: Engine, dep_id: str) -> tuple[str, list[tuple[str, bool]], list[str], list[str]]:
    """The deployment's status, its attempts (status, ended), its jobs' statuses and log."""
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None
        tries = s.scalars(select(Attempt).where(Attempt.deployment_id == dep_id))
        jobs = s.scalars(select(Job.status).where(Job.deployment_id == dep_id)).all()
        log = s.scalars(select(Event.message).where(Event.deployment_id == dep_id)).all()
        return dep.status, [(a.status, a.ended_at is not None) for a in tries], list(jobs), [*log]


def test_the_handler_ends_its_job_with_the_final_status(sim_engine: Engine) -> None:
    dep_id = _deployment(sim_engine, "sim-end-1")
    job = sim_engine.queue.claim("w")
    assert job is not None and job.owner == "w" and job.created_at is not None
    assert deploy.run_deploy(sim_engine, job, threading.Event()) is True  # done by itself
    status, tries, jobs, log = _row(sim_engine, dep_id)
    assert (status, tries, jobs) == ("CREATE_COMPLETE", [("SUCCEEDED", True)], ["DONE"])
    # The decision, carried to the attempt's opening, is written once.
    assert sum(m.startswith("scheduling: ") for m in log) == 1


def test_the_final_status_written_without_the_orm_row_still_tells_the_callback(
    sim_engine: Engine,
) -> None:
    dep_id = _deployment(sim_engine, "sim-end-cb", callback=HOOK)
    job = sim_engine.queue.claim("w")
    assert job is not None and deploy.run_deploy(sim_engine, job, threading.Event())
    with sim_engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        (cb,) = s.scalars(select(Callback).where(Callback.deployment_id == dep_id))
        assert dep is not None and (dep.status, dep.task) == ("CREATE_COMPLETE", "NONE")
        assert cb.url == HOOK
        # The notice carries the row as written: status, task, outputs.
        assert (cb.payload["status"], cb.payload["task"]) == ("CREATE_COMPLETE", "NONE")
        assert cb.payload["outputs"] == dep.outputs and dep.outputs
        assert (
            "status CREATE_IN_PROGRESS -> CREATE_COMPLETE"
            in s.scalars(select(Event.message).where(Event.deployment_id == dep_id)).all()
        )


def test_a_notice_in_a_direct_transaction_wakes_the_senders_once_committed(
    sim_engine: Engine,
) -> None:
    dep_id = _deployment(sim_engine, "sim-end-wake", callback=HOOK)
    seen: list[int] = []

    class Sender(threading.Event):  # what a woken sender finds in the outbox
        def set(self) -> None:
            with sim_engine.db.reader() as s:
                seen.append(len(s.scalars(select(Callback.id)).all()))
            super().set()

    wakeup = Sender()
    callbacks._SENDERS.add(wakeup)
    try:
        with sim_engine.db.direct() as tx:
            orm = orm_of(tx)
            callbacks.notice(orm, orm.get(Deployment, dep_id))  # type: ignore[arg-type]
    finally:
        callbacks._SENDERS.discard(wakeup)
    assert seen == [1]  # woken once, after the commit: the notice is there to send


def test_a_worker_dead_between_the_success_and_the_status_loses_nothing(
    sim_engine: Engine,
) -> None:
    sim_engine.queue.lease = sim_engine.queue.lease / 60  # 0.5 s: the takeover comes soon
    dep_id = _deployment(sim_engine, "sim-end-2")
    first = sim_engine.queue.claim("doomed")
    assert first is not None
    ctx = deploy.prepare(sim_engine, first, threading.Event(), Status.CREATE_IN_PROGRESS)
    assert ctx is not None
    site = load_site(sim_engine, "sim-end-2")
    assert site is not None
    # Every node made and the outputs known; the worker dies before the final transaction.
    result = run_attempt(ctx, site, end_success=False)
    assert result.ok and result.attempt_id is not None
    status, tries, jobs, _ = _row(sim_engine, dep_id)
    assert (status, tries, jobs) == ("CREATE_IN_PROGRESS", [("RUNNING", False)], ["RUNNING"])

    time.sleep(0.6)  # the dead worker's lease expires
    second = sim_engine.queue.claim("rescuer")
    assert second is not None and second.id == first.id and second.tries == 2
    run_job(sim_engine, second, "rescuer")
    status, tries, jobs, log = _row(sim_engine, dep_id)
    # The same attempt carried on (its node found made), not a second one.
    assert (status, tries, jobs) == ("CREATE_COMPLETE", [("SUCCEEDED", True)], ["DONE"])
    assert sum(m.startswith("created ") for m in log) == 1


def test_one_renewer_keeps_every_lease_and_says_which_was_lost(tmp_path: Path) -> None:
    engine = Engine(Settings(data_dir=tmp_path, job_lease_seconds=0.6))
    try:
        with engine.db.session() as s:
            enqueue(s, JobKind.DEPLOY, "dep-a")
            enqueue(s, JobKind.DEPLOY, "dep-b")
        a, b = engine.queue.claim("w1"), engine.queue.claim("w2")
        assert a is not None and b is not None
        renewer = renewer_of(engine)
        with renewer.hold(a.id, "w1") as lost_a, renewer.hold(b.id, "w2") as lost_b:
            time.sleep(1.5)  # two and a half leases: renewed, not expired
            assert engine.queue.claim("thief") is None
            with engine.db.session() as s:  # b is taken over behind its worker's back
                s.execute(update(Job).where(Job.id == b.id).values(lease_owner="other"))
            assert lost_b.wait(2.0)
            assert not lost_a.is_set()
    finally:
        engine.close()

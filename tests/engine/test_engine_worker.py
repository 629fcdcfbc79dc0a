"""Workers against the real database: give-up after repeated takeovers, delete without a site."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from cumulo.config import Settings
from cumulo.engine.jobs import JobKind, enqueue
from cumulo.engine.runtime import Engine
from cumulo.engine.states import Status, set_deployment_status
from cumulo.engine.worker import MAX_TRIES, run_job
from cumulo.store.models import Deployment, Job


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    eng = Engine(Settings(data_dir=tmp_path, job_lease_seconds=5))
    yield eng
    eng.close()


def _deployment(engine: Engine, status: Status, job: JobKind) -> str:
    with engine.db.session() as s:
        dep = Deployment(template="t", owner_issuer="i", owner_subject="s", task="NONE")
        s.add(dep)
        set_deployment_status(s, dep, Status.CREATE_IN_PROGRESS)
        if status is not Status.CREATE_IN_PROGRESS:
            set_deployment_status(s, dep, status)
        enqueue(s, job, dep.id)
        return dep.id


def test_a_job_whose_workers_keep_dying_fails_its_deployment(engine: Engine) -> None:
    dep_id = _deployment(engine, Status.CREATE_IN_PROGRESS, JobKind.DEPLOY)
    with engine.db.session() as s:
        s.execute(update(Job).values(tries=MAX_TRIES))
    job = engine.queue.claim("w")
    assert job is not None and job.tries == MAX_TRIES + 1
    run_job(engine, job, "w")
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None and dep.status == "CREATE_FAILED"
        assert "interrupted" in (dep.status_reason or "")
        assert s.scalars(select(Job.status)).one() == "FAILED"


def test_deleting_a_deployment_that_never_reached_a_site_removes_it(engine: Engine) -> None:
    dep_id = _deployment(engine, Status.DELETE_IN_PROGRESS, JobKind.DELETE)
    job = engine.queue.claim("w")
    assert job is not None and job.kind is JobKind.DELETE
    run_job(engine, job, "w")
    with engine.db.session() as s:
        assert s.get(Deployment, dep_id) is None
        assert s.scalars(select(Job.status)).one() == "DONE"

"""Workers against the real database: give-up after repeated takeovers, delete without a site."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from cumulo.config import Settings
from cumulo.engine.jobs.queue import JobKind, enqueue
from cumulo.engine.jobs.worker import HANDLERS, MAX_TRIES, run_job
from cumulo.engine.runtime import Engine
from cumulo.engine.states import Status, set_deployment_status
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


def _raising(errors: list[Exception], calls: list[int]):  # type: ignore[no-untyped-def]
    """A handler that raises the given errors in turn, then returns."""

    def handler(engine: Engine, job: object, lost: object) -> None:
        calls.append(1)
        if errors:
            raise errors.pop(0)

    return handler


def test_a_lost_database_connection_is_waited_out_and_the_job_resumed(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    dep_id = _deployment(engine, Status.CREATE_IN_PROGRESS, JobKind.DEPLOY)
    calls: list[int] = []
    gone = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    monkeypatch.setitem(HANDLERS, JobKind.DEPLOY, _raising([gone], calls))
    job = engine.queue.claim("w")
    assert job is not None
    run_job(engine, job, "w")
    assert len(calls) == 2  # run again once the database answered
    with engine.db.session() as s:
        assert s.scalars(select(Job.status)).one() == "DONE"
        dep = s.get(Deployment, dep_id)
        assert dep is not None and dep.status == "CREATE_IN_PROGRESS"  # not failed


def test_another_database_error_fails_the_job_instead_of_looping(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    dep_id = _deployment(engine, Status.CREATE_IN_PROGRESS, JobKind.DEPLOY)
    calls: list[int] = []
    bad = IntegrityError("INSERT", {}, Exception("duplicate key"))
    monkeypatch.setitem(HANDLERS, JobKind.DEPLOY, _raising([bad, bad, bad], calls))
    job = engine.queue.claim("w")
    assert job is not None
    run_job(engine, job, "w")
    assert len(calls) == 1
    with engine.db.session() as s:
        assert s.scalars(select(Job.status)).one() == "FAILED"
        dep = s.get(Deployment, dep_id)
        assert dep is not None and dep.status == "CREATE_FAILED"

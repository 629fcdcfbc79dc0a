"""The job queue on the real database: claims, leases, takeover, one job per deployment."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from cumulo.engine.jobs.queue import JobKind, JobQueue, JobStatus, enqueue
from cumulo.store import Database
from cumulo.store.models import Job


def _enqueue(db: Database, kind: JobKind, dep: str) -> int:
    with db.session() as s:
        return enqueue(s, kind, dep)


def test_a_job_is_claimed_once_and_finished(db: Database) -> None:
    q = JobQueue(db, lease_seconds=30)
    job_id = _enqueue(db, JobKind.DEPLOY, "d1")
    job = q.claim("w1")
    assert job is not None and (job.id, job.kind, job.deployment_id, job.tries) == (
        job_id, JobKind.DEPLOY, "d1", 1,
    )  # fmt: skip
    assert q.claim("w2") is None
    assert q.finish(job_id, "w1")
    stored = q.get(job_id)
    assert stored is not None and stored.status == JobStatus.DONE
    assert q.claim("w2") is None


def test_an_expired_lease_is_taken_over_and_the_old_owner_loses_it(db: Database) -> None:
    q = JobQueue(db, lease_seconds=0.3)
    job_id = _enqueue(db, JobKind.DEPLOY, "d1")
    first = q.claim("dead-worker")
    assert first is not None
    assert q.claim("w2") is None  # lease still valid
    time.sleep(0.4)
    second = q.claim("w2")
    assert second is not None and second.id == job_id and second.tries == 2
    assert not q.renew(job_id, "dead-worker")
    assert not q.finish(job_id, "dead-worker")
    assert q.renew(job_id, "w2")
    assert q.finish(job_id, "w2", error="boom")
    stored = q.get(job_id)
    assert stored is not None and (stored.status, stored.error) == ("FAILED", "boom")


def test_an_expired_lease_is_taken_over_before_the_jobs_waiting_their_turn(
    db: Database,
) -> None:
    # The order's one statement says whether a lease expired; the takeover comes first.
    q = JobQueue(db, lease_seconds=0.3)
    dead = _enqueue(db, JobKind.DEPLOY, "d1")
    assert (first := q.claim("dead-worker")) is not None and first.id == dead
    waiting = [_enqueue(db, JobKind.DEPLOY, dep) for dep in ("d2", "d3")]
    assert (live := q.claim("w1")) is not None and live.id == waiting[0]
    time.sleep(0.4)  # both leases expire: the older one goes first, then the queue
    taken = [q.claim("w2"), q.claim("w3"), q.claim("w4")]
    assert [(j.id, j.tries) for j in taken if j] == [(dead, 2), (waiting[0], 2), (waiting[1], 1)]
    assert q.claim("w5") is None


def test_renewal_keeps_a_job_from_being_taken_over(db: Database) -> None:
    q = JobQueue(db, lease_seconds=0.3)
    _enqueue(db, JobKind.DEPLOY, "d1")
    job = q.claim("w1")
    assert job is not None
    for _ in range(4):
        time.sleep(0.15)
        assert q.renew(job.id, "w1")
        assert q.claim("w2") is None


def test_jobs_of_one_deployment_run_one_at_a_time_in_order(db: Database) -> None:
    q = JobQueue(db, lease_seconds=30)
    deploy = _enqueue(db, JobKind.DEPLOY, "d1")
    delete = _enqueue(db, JobKind.DELETE, "d1")
    other = _enqueue(db, JobKind.DEPLOY, "d2")
    first = q.claim("w1")
    assert first is not None and first.id == deploy
    second = q.claim("w2")
    assert second is not None and second.id == other  # d1's delete waits for its deploy
    assert q.claim("w3") is None
    q.finish(deploy, "w1")
    third = q.claim("w3")
    assert third is not None and third.id == delete


def test_concurrent_workers_claim_every_job_exactly_once(db: Database) -> None:
    q = JobQueue(db, lease_seconds=30)
    ids = {_enqueue(db, JobKind.DEPLOY, f"d{i}") for i in range(40)}
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := q.claim(name)) is not None:
            with lock:
                claimed.append(job.id)
            q.finish(job.id, name)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)


def test_on_postgresql_a_claim_skips_a_row_another_claimer_holds(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serializes writers instead")
    q = JobQueue(db, lease_seconds=30)
    first = _enqueue(db, JobKind.DEPLOY, "d1")
    second = _enqueue(db, JobKind.DEPLOY, "d2")
    # Another claimer is in the middle of taking the first job: its row is locked.
    with db.session() as s:
        s.scalars(select(Job).where(Job.id == first).with_for_update()).one()
        got: list[int | None] = []
        t = threading.Thread(target=lambda: got.append(getattr(q.claim("w"), "id", None)))
        t.start()
        t.join(10)
        assert not t.is_alive(), "the claim waited for the locked row"
    assert got == [second]

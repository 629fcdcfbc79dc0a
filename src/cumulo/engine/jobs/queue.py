"""A durable job queue in the database, with leases.

A worker claims a job with ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL (claimers never wait on each other's rows) and with a
compare-and-set ``UPDATE ... WHERE`` on SQLite (whose writers are serialized
anyway), renews its lease while it works, and marks the job
done or failed. A job whose lease expired (its worker died) is claimed again by
another worker. At most one job per deployment runs at a time, so the
operations on one deployment are serialized.

A job that must wait (a node not ready yet) is *parked*: its handler raises
``Parked``, the job goes back to PENDING with a ``not_before`` instant and no
worker, and any worker takes it again when it is due; what it waits for is
on the deployment (``cumulo.engine.lifecycle.waiting``). Claims take turns between
owners (each owner's n-th claimable job after the ones it has running), so
one owner's hundred queued deployments do not starve another's one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Update, bindparam, insert, inspect, select, true, update
from sqlalchemy.orm import Session

from cumulo.engine.jobs import fair_order
from cumulo.store.db import Database, utcnow
from cumulo.store.direct import Tx
from cumulo.store.models import DEPLOYMENTS, JOBS, Deployment, Job

QUEUED = "queued"  # what a deployment waits for until a worker takes its job


class JobKind(StrEnum):
    DEPLOY = "deploy"
    UPDATE = "update"
    DELETE = "delete"
    FORCE_DELETE = "force-delete"  # the row goes even if the site cannot remove everything
    ACTION = "action"  # start/stop the resources marked STARTING/STOPPING
    RECONCILE = "reconcile"  # bring back nodes found down (lifecycle/reconcile.py)


class JobStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: JobKind
    deployment_id: str
    tries: int  # including this one; > 1 means a takeover or a retry
    owner: str | None = None  # the lease's holder (the claiming worker)
    created_at: datetime | None = None  # the request that made the job


class Parked(Exception):
    """Raised by a job's handler: the job waits ``delay`` seconds without a worker.

    ``write`` (what the deployment waits for) is written in the transaction that
    parks the job: one transaction per look, not two.
    """

    def __init__(self, delay: float, write: Callable[[Session], None] | None = None) -> None:
        super().__init__(f"parked for {delay:.2f} s")
        self.delay, self.write = delay, write


def owner_key(dep: Deployment) -> str:
    return f"{dep.owner_issuer} {dep.owner_subject}"


_now, _owner, _job = bindparam("now"), bindparam("holder"), bindparam("job_id")
WAKE_PARKED = (
    update(JOBS)
    .where(JOBS.c.deployment_id == bindparam("dep_id"), JOBS.c.status == JobStatus.PENDING.value)
    .where(JOBS.c.not_before.is_not(None))
    .values(not_before=None)
)
INSERT_JOB = insert(JOBS)


def enqueue(session: Tx, kind: JobKind, deployment: str | Deployment) -> int:
    """Add a job in the caller's transaction (so it exists iff the change it serves does).

    Given the deployment's row, the job takes its owner's turn and the
    deployment says it is queued. A parked job of the same deployment is
    woken: it runs first (it is older) and sees the change (e.g. a delete) at once.
    Returns the job's id.
    """
    dep = deployment if isinstance(deployment, Deployment) else None
    dep_id = dep.id if dep is not None else str(deployment)
    if dep is None or inspect(dep).has_identity:  # a deployment not stored yet has no job
        session.execute(WAKE_PARKED, {"dep_id": dep_id})
    now = utcnow()
    job = {"kind": kind.value, "deployment_id": dep_id, "status": JobStatus.PENDING.value,
           "owner": owner_key(dep) if dep is not None else None, "created_at": now,
           "updated_at": now}  # fmt: skip
    job_id: int = session.connection().execute(INSERT_JOB, job).inserted_primary_key[0]
    if dep is not None:
        dep.waiting_for, dep.waiting_since = QUEUED, now
    return job_id


CLAIMED = (JOBS.c.id, JOBS.c.kind, JOBS.c.deployment_id, JOBS.c.tries, JOBS.c.created_at)


def _take(where: ColumnElement[bool]) -> Update:
    """Lease the job (``job_id``) to ``owner`` until ``until`` if ``where`` still holds."""
    return (
        update(JOBS)
        .where(JOBS.c.id == _job, where)
        .values(
            status=JobStatus.RUNNING.value,
            lease_owner=_owner,
            lease_expires_at=bindparam("until"),
            tries=JOBS.c.tries + 1,
            updated_at=_now,
        )
        .returning(*CLAIMED)
    )


# SQLite: the compare-and-set checks again what the order assumed.
TAKE_FREE = _take(fair_order.free())
# PostgreSQL: lock what no other claimer holds.
LOCK_CANDIDATES = (
    select(JOBS.c.id)
    .where(JOBS.c.id.in_(bindparam("ids", expanding=True)), fair_order.claimable())
    .with_for_update(skip_locked=True)
)
TAKE_LOCKED = _take(true())
PARK = (
    update(JOBS)
    .where(JOBS.c.id == _job, JOBS.c.lease_owner == _owner)
    .values(
        status=JobStatus.PENDING.value, lease_owner=None, lease_expires_at=None,
        not_before=bindparam("due_at"), tries=0, updated_at=_now,
    )
)  # fmt: skip
RENEW = (
    update(JOBS)
    .where(JOBS.c.id == _job, JOBS.c.lease_owner == _owner)
    .where(JOBS.c.status == JobStatus.RUNNING.value)
    .values(lease_expires_at=bindparam("until"), updated_at=_now)
)
FINISH = (
    update(JOBS)
    .where(JOBS.c.id == _job, JOBS.c.lease_owner == _owner)
    .values(
        status=bindparam("new_status"), error=bindparam("why"), lease_expires_at=None,
        updated_at=_now,
    )
)  # fmt: skip
UNQUEUE = (  # a worker took the deployment's job: it is no longer "queued"
    update(DEPLOYMENTS)
    .where(DEPLOYMENTS.c.id == bindparam("dep_id"))
    .where(DEPLOYMENTS.c.waiting_for == QUEUED)
    .values(waiting_for=None, waiting_since=None)
)


def finish_in(s: Tx, job: ClaimedJob, error: str | None = None) -> bool:
    """Mark the job DONE (or FAILED with ``error``) in the caller's transaction, so that
    the job ends with the change that completes it; False if it is no longer ours."""
    status = JobStatus.FAILED if error else JobStatus.DONE
    values = {"job_id": job.id, "holder": job.owner, "new_status": status.value, "why": error}
    result = s.execute(FINISH, {**values, "now": utcnow()})
    return result.rowcount == 1  # type: ignore[attr-defined]


class JobQueue:
    def __init__(self, db: Database, lease_seconds: float) -> None:
        self.db = db
        self.lease = timedelta(seconds=lease_seconds)

    def _candidates(self, s: Tx, now: datetime) -> list[int]:
        return fair_order.candidates(s, now)

    def claim(self, owner: str) -> ClaimedJob | None:
        """Take the fairest claimable job whose deployment has no other live job, or None."""
        now = utcnow()
        if self.db.dialect != "postgresql":
            return self._claim_by_compare_and_set(owner, now)
        with self.db.session() as s:
            candidates = self._candidates(s, now)
            if not candidates:
                return None
            # A window cannot be locked in one query: lock the candidates no one holds.
            locked = set(s.scalars(LOCK_CANDIDATES, {"ids": candidates, "now": now}))
            first = next((i for i in candidates if i in locked), None)
            if first is None:
                return None
            return self._take(s, TAKE_LOCKED, first, owner, now)

    def _claim_by_compare_and_set(self, owner: str, now: datetime) -> ClaimedJob | None:
        """SQLite: as the one writer, read the fair order (owner by owner through an
        index, so it stays short with thousands of jobs queued) and take the first
        candidate still free with a compare-and-set that checks again everything the
        order assumed, so two claimers never run one deployment's jobs. One transaction:
        a separate read transaction before it cost more than the order's read."""
        with self.db.direct() as s:
            for job_id in self._candidates(s, now):
                claimed = self._take(s, TAKE_FREE, job_id, owner, now)
                if claimed is not None:
                    return claimed
        return None

    def _take(
        self, s: Tx, statement: Update, job_id: int, owner: str, now: datetime
    ) -> ClaimedJob | None:
        params = {"job_id": job_id, "holder": owner, "now": now, "until": now + self.lease}
        row = s.execute(statement, params).first()
        if row is None:
            return None
        s.execute(UNQUEUE, {"dep_id": row.deployment_id})
        return ClaimedJob(
            row.id, JobKind(row.kind), row.deployment_id, row.tries, owner, row.created_at
        )

    def park(
        self,
        job_id: int,
        owner: str,
        delay: float,
        write: Callable[[Session], None] | None = None,
    ) -> bool:
        """Give the job back, to be claimed again in ``delay`` seconds, with ``write`` in
        the same transaction; False if the job is not ours (then nothing is written).

        A step completed, so the count of interrupted tries starts again.
        """
        now = utcnow()
        due = now + timedelta(seconds=max(delay, 0))
        with self.db.direct() as s:
            params = {"job_id": job_id, "holder": owner, "now": now, "due_at": due}
            if s.execute(PARK, params).rowcount != 1:  # type: ignore[attr-defined]
                return False
            if write is not None:
                write(s)
            return True

    def renew(self, job_id: int, owner: str) -> bool:
        """Extend the lease; False if the job is no longer ours (taken over)."""
        now = utcnow()
        with self.db.direct() as s:
            params = {"job_id": job_id, "holder": owner, "now": now, "until": now + self.lease}
            return s.execute(RENEW, params).rowcount == 1  # type: ignore[attr-defined]

    def finish(self, job_id: int, owner: str, error: str | None = None) -> bool:
        """Mark the job DONE (or FAILED with ``error``); False if it is no longer ours."""
        with self.db.direct() as s:
            return finish_in(s, ClaimedJob(job_id, JobKind.DEPLOY, "", 0, owner), error)

    def get(self, job_id: int) -> Job | None:
        with self.db.session() as s:
            return s.get(Job, job_id)

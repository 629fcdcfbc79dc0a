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

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from cumulo.store.db import Database, utcnow
from cumulo.store.models import Deployment, Job

QUEUED = "queued"  # what a deployment waits for until a worker takes its job
# Claimable jobs looked at per claim (the fair order is computed over all of them).
CANDIDATES = 8


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


class Parked(Exception):
    """Raised by a job's handler: the job waits ``delay`` seconds without a worker."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"parked for {delay:.2f} s")
        self.delay = delay


def owner_key(dep: Deployment) -> str:
    return f"{dep.owner_issuer} {dep.owner_subject}"


def enqueue(session: Session, kind: JobKind, deployment: str | Deployment) -> Job:
    """Add a job in the caller's transaction (so it exists iff the change it serves does).

    Given the deployment's row, the job takes its owner's turn and the
    deployment says it is queued. A parked job of the same deployment is
    woken: it runs first (it is older) and sees the change (e.g. a delete) at once.
    """
    dep = deployment if isinstance(deployment, Deployment) else None
    dep_id = dep.id if dep is not None else str(deployment)
    session.execute(
        update(Job)
        .where(Job.deployment_id == dep_id, Job.status == JobStatus.PENDING.value)
        .where(Job.not_before.is_not(None))
        .values(not_before=None)
    )
    job = Job(
        kind=kind.value,
        deployment_id=dep_id,
        status=JobStatus.PENDING.value,
        owner=owner_key(dep) if dep is not None else None,
    )
    if dep is not None:
        dep.waiting_for, dep.waiting_since = QUEUED, utcnow()
    session.add(job)
    return job


class JobQueue:
    def __init__(self, db: Database, lease_seconds: float) -> None:
        self.db = db
        self.lease = timedelta(seconds=lease_seconds)

    def _claimable(self, now):  # type: ignore[no-untyped-def]
        due = and_(
            Job.status == JobStatus.PENDING.value,
            or_(Job.not_before.is_(None), Job.not_before <= now),
        )
        expired = and_(Job.status == JobStatus.RUNNING.value, Job.lease_expires_at < now)
        return or_(due, expired)

    def _free(self, now):  # type: ignore[no-untyped-def]
        """A claimable job whose deployment has no other live job, and no older one waiting."""
        other = aliased(Job)
        busy = exists().where(
            other.deployment_id == Job.deployment_id,
            other.id != Job.id,
            other.status == JobStatus.RUNNING.value,
            other.lease_expires_at >= now,
        )
        # An older pending job of the same deployment goes first.
        older = exists().where(
            other.deployment_id == Job.deployment_id,
            other.id < Job.id,
            other.status.in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]),
        )
        return and_(self._claimable(now), ~busy, ~older)

    def _candidates(self, s: Session, now) -> list[int]:  # type: ignore[no-untyped-def]
        """Claimable job ids in fair order: each owner's oldest first, owners in turn."""
        turn = func.row_number().over(partition_by=Job.owner, order_by=Job.id).label("turn")
        ranked = select(Job.id, Job.owner, turn).where(self._free(now)).subquery()
        # An owner's jobs already running count as turns taken.
        running = (
            select(Job.owner, func.count().label("n"))
            .where(Job.status == JobStatus.RUNNING.value, Job.lease_expires_at >= now)
            .group_by(Job.owner)
            .subquery()
        )
        order = ranked.c.turn + func.coalesce(running.c.n, 0)
        return list(
            s.scalars(
                select(ranked.c.id)
                .outerjoin(running, running.c.owner == ranked.c.owner)
                .order_by(order, ranked.c.id)
                .limit(CANDIDATES)
            ).all()
        )

    def claim(self, owner: str) -> ClaimedJob | None:
        """Take the fairest claimable job whose deployment has no other live job, or None."""
        now = utcnow()
        if self.db.dialect != "postgresql":
            return self._claim_by_compare_and_set(owner, now)
        with self.db.session() as s:
            candidates = self._candidates(s, now)
            if not candidates:
                return None
            # Lock what no other claimer holds (a window cannot be locked in one query).
            locked = {
                row.id: row
                for row in s.scalars(
                    select(Job)
                    .where(Job.id.in_(candidates), self._claimable(now))
                    .with_for_update(skip_locked=True)
                )
            }
            row = next((locked[i] for i in candidates if i in locked), None)
            if row is None:
                return None
            row.status, row.lease_owner = JobStatus.RUNNING.value, owner
            row.lease_expires_at, row.updated_at = now + self.lease, now
            row.tries += 1
            _unqueue(s, row.deployment_id)
            return ClaimedJob(row.id, JobKind(row.kind), row.deployment_id, row.tries)

    def _claim_by_compare_and_set(self, owner: str, now: datetime) -> ClaimedJob | None:
        """SQLite: the fair order is read without holding the writer (it scans the queue:
        with a thousand jobs waiting it is most of a claim); then, as the one writer, the
        first candidate still free is taken with a compare-and-set that checks again
        everything the order assumed, so two claimers never run one deployment's jobs."""
        with self.db.reader() as s:
            candidates = self._candidates(s, now)
        if not candidates:
            return None
        with self.db.session() as s:
            for job_id in candidates:
                result = s.execute(
                    update(Job)
                    .where(Job.id == job_id, self._free(now))
                    .values(
                        status=JobStatus.RUNNING.value,
                        lease_owner=owner,
                        lease_expires_at=now + self.lease,
                        tries=Job.tries + 1,
                        updated_at=now,
                    )
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    kind, dep_id, tries = s.execute(
                        select(Job.kind, Job.deployment_id, Job.tries).where(Job.id == job_id)
                    ).one()
                    _unqueue(s, dep_id)
                    return ClaimedJob(job_id, JobKind(kind), dep_id, tries)
        return None

    def park(self, job_id: int, owner: str, delay: float) -> bool:
        """Give the job back, to be claimed again in ``delay`` seconds; False if not ours.

        A step completed, so the count of interrupted tries starts again.
        """
        now = utcnow()
        with self.db.session() as s:
            result = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.lease_owner == owner)
                .values(
                    status=JobStatus.PENDING.value,
                    lease_owner=None,
                    lease_expires_at=None,
                    not_before=now + timedelta(seconds=max(delay, 0)),
                    tries=0,
                    updated_at=now,
                )
            )
            return result.rowcount == 1  # type: ignore[attr-defined]

    def renew(self, job_id: int, owner: str) -> bool:
        """Extend the lease; False if the job is no longer ours (taken over)."""
        now = utcnow()
        with self.db.session() as s:
            result = s.execute(
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.lease_owner == owner,
                    Job.status == JobStatus.RUNNING.value,
                )
                .values(lease_expires_at=now + self.lease, updated_at=now)
            )
            return result.rowcount == 1  # type: ignore[attr-defined]

    def finish(self, job_id: int, owner: str, error: str | None = None) -> bool:
        """Mark the job DONE (or FAILED with ``error``); False if it is no longer ours."""
        status = JobStatus.FAILED if error else JobStatus.DONE
        with self.db.session() as s:
            result = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.lease_owner == owner)
                .values(
                    status=status.value, error=error, lease_expires_at=None, updated_at=utcnow()
                )
            )
            return result.rowcount == 1  # type: ignore[attr-defined]

    def get(self, job_id: int) -> Job | None:
        with self.db.session() as s:
            return s.get(Job, job_id)


def _unqueue(s: Session, dep_id: str) -> None:
    """A worker took the deployment's job: it is no longer "queued"."""
    s.execute(
        update(Deployment)
        .where(Deployment.id == dep_id, Deployment.waiting_for == QUEUED)
        .values(waiting_for=None, waiting_since=None)
    )

"""A durable job queue in the database, with leases.

A worker claims a job with ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL (claimers never wait on each other's rows) and with a
compare-and-set ``UPDATE ... WHERE`` on SQLite (whose writers are serialized
anyway), renews its lease while it works, and marks the job
done or failed. A job whose lease expired (its worker died) is claimed again by
another worker. At most one job per deployment runs at a time, so the
operations on one deployment are serialized.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from cumulo.store.db import Database, utcnow
from cumulo.store.models import Job


class JobKind(StrEnum):
    DEPLOY = "deploy"
    UPDATE = "update"
    DELETE = "delete"
    FORCE_DELETE = "force-delete"  # the row goes even if the site cannot remove everything
    ACTION = "action"  # start/stop the resources marked STARTING/STOPPING


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


def enqueue(session: Session, kind: JobKind, deployment_id: str) -> Job:
    """Add a job in the caller's transaction (so it exists iff the change it serves does)."""
    job = Job(kind=kind.value, deployment_id=deployment_id, status=JobStatus.PENDING.value)
    session.add(job)
    return job


class JobQueue:
    def __init__(self, db: Database, lease_seconds: float) -> None:
        self.db = db
        self.lease = timedelta(seconds=lease_seconds)

    def _claimable(self, now):  # type: ignore[no-untyped-def]
        expired = and_(Job.status == JobStatus.RUNNING.value, Job.lease_expires_at < now)
        return or_(Job.status == JobStatus.PENDING.value, expired)

    def claim(self, owner: str) -> ClaimedJob | None:
        """Take the oldest claimable job whose deployment has no other live job, or None."""
        now = utcnow()
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
        with self.db.session() as s:
            if self.db.dialect == "postgresql":
                row = s.scalars(
                    select(Job)
                    .where(self._claimable(now), ~busy, ~older)
                    .order_by(Job.id)
                    .limit(1)
                    .with_for_update(skip_locked=True, of=Job)
                ).first()
                if row is None:
                    return None
                row.status, row.lease_owner = JobStatus.RUNNING.value, owner
                row.lease_expires_at, row.updated_at = now + self.lease, now
                row.tries += 1
                return ClaimedJob(row.id, JobKind(row.kind), row.deployment_id, row.tries)
            candidates = s.scalars(
                select(Job.id).where(self._claimable(now), ~busy, ~older).order_by(Job.id).limit(8)
            ).all()
            for job_id in candidates:
                # Compare-and-set: only one claimer can see the row still claimable.
                result = s.execute(
                    update(Job)
                    .where(Job.id == job_id, self._claimable(now))
                    .values(
                        status=JobStatus.RUNNING.value,
                        lease_owner=owner,
                        lease_expires_at=now + self.lease,
                        tries=Job.tries + 1,
                        updated_at=now,
                    )
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    job = s.get(Job, job_id)
                    assert job is not None
                    s.refresh(job)
                    return ClaimedJob(job.id, JobKind(job.kind), job.deployment_id, job.tries)
        return None

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

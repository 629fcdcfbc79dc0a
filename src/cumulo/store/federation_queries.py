"""Aggregates the scheduler and ``/metrics`` read: usage per site, attempt outcomes, queue depth."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from cumulo.store.models import Attempt, Deployment, Job, Site, Sla

# Deployment statuses whose resources exist on their site (count against quotas).
HOLDING_STATUSES = (
    "CREATE_IN_PROGRESS",
    "CREATE_COMPLETE",
    "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE",
    "UPDATE_FAILED",
    "DELETE_IN_PROGRESS",
    "DELETE_FAILED",
    "UNKNOWN",
)


_NEEDS = (
    Deployment.need_instances,
    Deployment.need_cores,
    Deployment.need_ram_mb,
    Deployment.need_volume_gb,
)
_LIVE = (Deployment.site_name.is_not(None), Deployment.status.in_(HOLDING_STATUSES))
# Built once: every scheduling decision reads them (building a statement costs more
# than SQLite running it).
_USAGE = (
    select(Deployment.user_group, Deployment.site_name, *(func.sum(c) for c in _NEEDS))
    .where(*_LIVE)
    .group_by(Deployment.user_group, Deployment.site_name)
)
_OWN_USAGE = select(Deployment.user_group, Deployment.site_name, *_NEEDS).where(
    Deployment.id == bindparam("dep_id"), *_LIVE
)
_SITES_VERSION = select(func.count(), func.max(Site.updated_at), func.max(Site.health_checked_at))
_SLAS_VERSION = select(func.count(), func.max(Sla.updated_at))


def usage_by_group_and_site(
    s: Session, exclude_id: str | None = None
) -> list[tuple[str | None, str, int, float, float, float]]:
    """(group, site, instances, cores, ram MB, volume GB) held by live deployments.

    Read from ``ix_deployments_usage`` alone; ``exclude_id``'s own share (a
    deployment being scheduled again) is taken off afterwards.
    """
    rows: list[Any] = s.execute(_USAGE).all()
    own = s.execute(_OWN_USAGE, {"dep_id": exclude_id}).first() if exclude_id else None
    if own is None:
        return rows
    # Only the one row holding the deployment changes (there may be a thousand rows).
    return [
        (row[0], row[1], *((a or 0) - (b or 0) for a, b in zip(row[2:], own[2:], strict=True)))
        if (row[0], row[1]) == (own[0], own[1])
        else row
        for row in rows
    ]


def recent_attempts(
    s: Session, limit: int = 5000
) -> Sequence[tuple[str, str, datetime, datetime | None]]:
    """(site, status, started, ended) of the latest finished attempts, newest first."""
    query = (
        select(Attempt.site_name, Attempt.status, Attempt.started_at, Attempt.ended_at)
        .where(Attempt.status != "RUNNING")
        .order_by(Attempt.id.desc())
        .limit(limit)
    )
    return [tuple(row) for row in s.execute(query)]  # type: ignore[misc]


def attempt_counts(s: Session) -> Sequence[tuple[str, str, int]]:
    """(site, status, how many) over every attempt."""
    query = select(Attempt.site_name, Attempt.status, func.count()).group_by(
        Attempt.site_name, Attempt.status
    )
    return [tuple(row) for row in s.execute(query)]  # type: ignore[misc]


def jobs_by_status(s: Session) -> dict[str, int]:
    rows: Any = s.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: n for status, n in rows}


def succeeded_attempt_times(s: Session) -> Sequence[tuple[str, datetime, datetime]]:
    """(site, started, ended) of every succeeded attempt: the create latencies."""
    query = select(Attempt.site_name, Attempt.started_at, Attempt.ended_at).where(
        Attempt.status == "SUCCEEDED", Attempt.ended_at.is_not(None)
    )
    return [tuple(row) for row in s.execute(query)]  # type: ignore[misc]


def registry_version(s: Session) -> tuple[Any, ...]:
    """A fingerprint of the sites and SLAs (definitions and probes): it changes with them."""
    return (*s.execute(_SITES_VERSION).one(), *s.execute(_SLAS_VERSION).one())

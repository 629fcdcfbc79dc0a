"""Aggregates the scheduler and ``/metrics`` read: usage per site, attempt outcomes, queue depth."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from cumulo.store.direct import Tx
from cumulo.store.models import DEPLOYMENTS, Attempt, Job, Site, SiteUsage, Sla

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


_NEEDS = DEPLOYMENTS.c["need_instances", "need_cores", "need_ram_mb", "need_volume_gb"]
_U = SiteUsage.__table__
# Built once, core statements on tables (no ORM loading): every scheduling decision
# reads them, and building a statement costs more than SQLite running it.
_USAGE_CHANGED = select(
    _U.c.user_group, _U.c.site_name, _U.c.instances, _U.c.cores, _U.c.ram_mb, _U.c.volume_gb,
    _U.c.seq,
).where(_U.c.seq > bindparam("after"))  # fmt: skip
_OWN_USAGE = select(*DEPLOYMENTS.c["user_group", "site_name"], *_NEEDS).where(
    DEPLOYMENTS.c.id == bindparam("dep_id"), DEPLOYMENTS.c.site_name.is_not(None),
    DEPLOYMENTS.c.status.in_(HOLDING_STATUSES),
)  # fmt: skip
_SITES_VERSION = select(func.count(), func.max(Site.updated_at), func.max(Site.health_checked_at))
_SLAS_VERSION = select(func.count(), func.max(Sla.updated_at))

UsageRow = tuple[str | None, str, int, float, float, float]  # (group, site, inst, cores, ram, vol)


def usage_changes(
    s: Tx, after: int = 0
) -> list[tuple[str | None, str, int, float, float, float, int]]:
    """The ``site_usage`` rows changed since ``seq`` ``after`` (all with 0), with their
    ``seq``: (group or None, site, instances, cores, ram MB, volume GB, seq).

    The database's triggers keep them (migration 0010), whatever changed a deployment.
    """
    return [
        (group or None, site, inst, cores, ram, vol, seq)
        for group, site, inst, cores, ram, vol, seq in s.execute(_USAGE_CHANGED, {"after": after})
    ]


def own_usage(s: Tx, dep_id: str) -> UsageRow | None:
    """What the deployment itself holds, if it holds anything (a deployment being
    scheduled again takes its own share off its site's usage)."""
    row = s.execute(_OWN_USAGE, {"dep_id": dep_id}).first()
    return None if row is None else (row[0], row[1], *row[2:])  # type: ignore[return-value]


def usage_by_group_and_site(s: Session, exclude_id: str | None = None) -> list[UsageRow]:
    """(group, site, instances, cores, ram MB, volume GB) held by live deployments,
    without ``exclude_id``'s own share."""
    rows: list[UsageRow] = [row[:6] for row in usage_changes(s)]
    own = own_usage(s, exclude_id) if exclude_id else None
    if own is None:
        return rows
    return [
        (row[0], row[1], *(a - b for a, b in zip(row[2:], own[2:], strict=True)))  # type: ignore[misc]
        if row[:2] == own[:2]
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

"""The order in which claimable jobs are offered to a claimer: owners take turns.

Each owner's n-th claimable job comes after the jobs that owner already has
running: an owner with two running jobs gets its next one after an idle owner's
first and second. A job whose lease expired (its worker died) comes before any
of them, so a takeover resumes promptly.

The queue may hold thousands of jobs (most of them parked, waiting for a node)
and every claim asks for the order, so it is read without scanning the queue:
the owners with a pending job are found by a loose scan of the index
``(status, owner, id)`` (one step per owner), each with the first job that is
due, and only the first owners' jobs are read (``CANDIDATES`` owners hold every
one of the first ``CANDIDATES`` jobs: an owner beyond them has that many owners'
first jobs ahead of its own first). The same statement says whether any lease
expired, so the takeover query runs only when there is one to take over.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
)

from cumulo.store.direct import Tx
from cumulo.store.models import JOBS
from cumulo.store.types import UTCDateTime

PENDING, RUNNING = "PENDING", "RUNNING"
# Claimable jobs offered per claim: the first is taken unless another claimer got it.
CANDIDATES = 8

_now = bindparam("now")


def due() -> ColumnElement[bool]:
    return and_(
        JOBS.c.status == PENDING, or_(JOBS.c.not_before.is_(None), JOBS.c.not_before <= _now)
    )


def expired() -> ColumnElement[bool]:
    return and_(JOBS.c.status == RUNNING, JOBS.c.lease_expires_at < _now)


def claimable() -> ColumnElement[bool]:
    return or_(due(), expired())


def free() -> ColumnElement[bool]:
    """A claimable job whose deployment has no other live job, and no older one waiting."""
    other = JOBS.alias("other")
    busy = exists().where(
        other.c.deployment_id == JOBS.c.deployment_id,
        other.c.id != JOBS.c.id,
        other.c.status == RUNNING,
        other.c.lease_expires_at >= _now,
    )
    # An older pending job of the same deployment goes first.
    older = exists().where(
        other.c.deployment_id == JOBS.c.deployment_id,
        other.c.id < JOBS.c.id,
        or_(other.c.status == PENDING, other.c.status == RUNNING),  # no expanding IN
    )
    return and_(claimable(), ~busy, ~older)


# Owners with a pending job, each with its first due one (NULL: none due). The
# recursive part steps from one owner to the next through the index; jobs without
# an owner (enqueued without their deployment's row) are one more "owner", whose row
# also says whether a running job's lease expired (``lapsed``).
OWNERS = (
    text(f"""
WITH RECURSIVE owners(owner) AS (
    SELECT MIN(owner) FROM jobs WHERE status = '{PENDING}'
    UNION ALL
    SELECT (SELECT MIN(j.owner) FROM jobs j WHERE j.status = '{PENDING}' AND j.owner > o.owner)
    FROM owners o WHERE o.owner IS NOT NULL
)
SELECT o.owner, (
    SELECT j.id FROM jobs j WHERE j.status = '{PENDING}' AND j.owner = o.owner
    AND (j.not_before IS NULL OR j.not_before <= :now) ORDER BY j.id LIMIT 1
) AS first, NULL AS lapsed FROM owners o WHERE o.owner IS NOT NULL
UNION ALL
SELECT NULL, (
    SELECT j.id FROM jobs j WHERE j.status = '{PENDING}' AND j.owner IS NULL
    AND (j.not_before IS NULL OR j.not_before <= :now) ORDER BY j.id LIMIT 1
), EXISTS (SELECT 1 FROM jobs j WHERE j.status = '{RUNNING}' AND j.lease_expires_at < :now)
""")
    .bindparams(bindparam("now", type_=UTCDateTime))  # stored as the columns store it
    # Typed result columns: a direct transaction runs it on the cursor (``store.direct``).
    .columns(owner=JOBS.c.owner.type, first=Integer, lapsed=Boolean)
)
RUNNING_BY_OWNER = (
    select(JOBS.c.owner, func.count())
    .where(JOBS.c.status == RUNNING, JOBS.c.lease_expires_at >= _now)
    .group_by(JOBS.c.owner)
)
EXPIRED = select(JOBS.c.id).where(free(), expired()).order_by(JOBS.c.id).limit(CANDIDATES)
FREE_OF_OWNER = (
    select(JOBS.c.id).where(free(), due(), JOBS.c.owner == bindparam("owner"))
    .order_by(JOBS.c.id).limit(CANDIDATES)
)  # fmt: skip
FREE_WITHOUT_OWNER = (
    select(JOBS.c.id).where(free(), due(), JOBS.c.owner.is_(None))
    .order_by(JOBS.c.id).limit(CANDIDATES)
)  # fmt: skip


def candidates(s: Tx, now: datetime) -> list[int]:
    """Up to ``CANDIDATES`` claimable, free job ids, fairest first."""
    params = {"now": now}
    rows = s.execute(OWNERS, params).all()
    lapsed = any(row.lapsed for row in rows)
    taken_over = list(s.scalars(EXPIRED, params)) if lapsed else []
    firsts = [(row.owner, row.first) for row in rows if row.first is not None]
    if not firsts:
        return taken_over
    running = dict(s.execute(RUNNING_BY_OWNER, params).all()) if len(firsts) > 1 else {}
    firsts.sort(key=lambda of: (running.get(of[0], 0), of[1]))
    ranked: list[tuple[int, int]] = []  # (turn, job id)
    for owner, _first in firsts[:CANDIDATES]:
        statement = FREE_WITHOUT_OWNER if owner is None else FREE_OF_OWNER
        ids = s.scalars(statement, {**params, "owner": owner}).all()
        ranked += [(running.get(owner, 0) + turn, job) for turn, job in enumerate(ids, 1)]
    ranked.sort()
    return (taken_over + [job for _turn, job in ranked])[:CANDIDATES]

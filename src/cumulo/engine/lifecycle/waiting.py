"""Waiting without a worker: what a deployment waits for, since when, and when to look again.

A node made but not ready yet does not hold the worker: the step records on
the deployment what it waits for (``waiting_for``, ``waiting_since``) and
raises ``Parked``; the job goes back to the queue with a not-before instant
and any worker resumes it then. When to look again: the driver's hint (a
cloud's expected boot time), else a back-off that grows with the wait, and
never later than the deadline, so timeouts fire on time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, update

from cumulo.drivers.base import Waiting
from cumulo.engine.deadlines import Deadline
from cumulo.engine.events import record
from cumulo.engine.jobs.queue import QUEUED, Parked
from cumulo.store.db import utcnow
from cumulo.store.models import Deployment

if TYPE_CHECKING:
    from cumulo.engine.lifecycle.attempt_context import AttemptContext

# How long a step waits in place for a node just made (event-driven: most are ready by
# then, and parking would only add latency), and for one resumed.
FIRST_LOOK = 2.0
LATER_LOOK = 0.25
# Back-off between looks when the driver gives no hint: half the wait so far, 0.5 to 5 s.
BACKOFF_MIN, BACKOFF_SHARE, BACKOFF_MAX = 0.5, 0.5, 5.0


def park(ctx: AttemptContext, label: str, waiting: Waiting, deadline: Deadline) -> None:
    """Record what the node ``label`` waits for and give the worker back (raises ``Parked``).

    What the deployment waited for when the job started (``ctx.waiting``, read by
    ``deploy.prepare``; only the job writes it meanwhile) says since when; the
    record is written with the job's parking, in one transaction.
    """
    what = f"node {label}: waiting for {waiting.what}"
    now = utcnow()
    old, old_since = ctx.waiting
    same = bool(old and old_since and _same_wait(old, what))
    since = old_since if same and old_since is not None else now
    dep_id = ctx.dep_id

    def write(s: Any) -> None:
        found = s.execute(_WAITING, {"dep_id": dep_id, "what": what, "since": since}).rowcount
        if found and not same:
            record(s, dep_id, "info", f"waiting for {waiting.what}", node=label)

    waited = (now - since).total_seconds()
    delay = waiting.retry_after
    if delay is None:
        delay = min(max(BACKOFF_MIN, BACKOFF_SHARE * waited), BACKOFF_MAX)
    raise Parked(min(delay, max(deadline.remaining(), 0)), write)


def _same_wait(old: str, new: str) -> bool:
    """The same node waiting for the same thing (a count in parentheses may change)."""
    return old.split(" (", 1)[0] == new.split(" (", 1)[0]


# Built once (a step's hot path); core, so no ORM bookkeeping.
_DEPLOYMENTS = Deployment.__table__
_WAITING = (
    update(_DEPLOYMENTS)
    .where(_DEPLOYMENTS.c.id == bindparam("dep_id"))
    .values(waiting_for=bindparam("what"), waiting_since=bindparam("since"))
)
_STOP_WAITING = (
    update(_DEPLOYMENTS)
    .where(_DEPLOYMENTS.c.id == bindparam("dep_id"), _DEPLOYMENTS.c.waiting_for.is_not(None))
    .where(_DEPLOYMENTS.c.waiting_for != QUEUED)
    .values(waiting_for=None, waiting_since=None)
)


def stop_waiting(s: Any, dep_id: str) -> None:
    """The awaited node is ready (or the work ended): nothing is awaited any more."""
    s.execute(_STOP_WAITING, {"dep_id": dep_id})

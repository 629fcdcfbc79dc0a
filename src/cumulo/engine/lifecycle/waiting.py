"""Waiting without a worker: what a deployment waits for, since when, and when to look again.

A node made but not ready yet does not hold the worker: the step records on
the deployment what it waits for (``waiting_for``, ``waiting_since``) and
raises ``Parked``; the job goes back to the queue with a not-before instant
and any worker resumes it then. When to look again: the driver's hint (a
cloud's expected boot time), else a back-off that grows with the wait, and
never later than the deadline, so timeouts fire on time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update

from cumulo.drivers.base import Waiting
from cumulo.engine.deadlines import Deadline
from cumulo.engine.events import record
from cumulo.engine.jobs.queue import QUEUED, Parked
from cumulo.store.db import utcnow
from cumulo.store.models import DEPLOYMENTS, Event

if TYPE_CHECKING:
    from cumulo.engine.lifecycle.attempt_context import AttemptContext

# How long a step waits in place for a node just made (event-driven: most are ready by
# then, and parking would only add latency), and for one resumed.
FIRST_LOOK = 2.0
LATER_LOOK = 0.25
# Back-off between looks when the driver gives no hint: half the wait so far, 0.5 to 5 s.
BACKOFF_MIN, BACKOFF_SHARE, BACKOFF_MAX = 0.5, 0.5, 5.0


class NodeParked(Parked):
    """A node's park: also says which node waits for what, so that an attempt with
    several nodes waiting parks once for all of them (``parked_on``)."""

    def __init__(self, delay: float, write: Any, label: str, waiting: Waiting) -> None:
        super().__init__(delay, write)
        self.label, self.waiting = label, waiting


def park(ctx: AttemptContext, label: str, waiting: Waiting, deadline: Deadline) -> None:
    """Record what the node ``label`` waits for and give the worker back (raises ``Parked``)."""
    raise parked_on(ctx, [(label, waiting)], deadline)


def parked_on(
    ctx: AttemptContext,
    waits: Sequence[tuple[str, Waiting]],
    deadline: Deadline,
    delay: float | None = None,
) -> NodeParked:
    """The park of the nodes ``waits`` (label, what; the first, in plan order, is named:
    "node app[0]: waiting for port 80 to answer (+2 more)"); ``delay`` by default is the
    first's hint, else a back-off.

    What the deployment waited for when the job started (``ctx.waiting``, read by
    ``deploy.prepare``; only the job writes it meanwhile) says since when; the
    record is written with the job's parking, in one transaction. Each node's
    "waiting for" event is said once, not at every look.
    """
    label, waiting = waits[0]
    what = f"node {label}: waiting for {waiting.what}"
    if len(waits) > 1:
        what += f" (+{len(waits) - 1} more)"
    now = utcnow()
    old, old_since = ctx.waiting
    same = bool(old and old_since and _same_wait(old, what))
    since = old_since if same and old_since is not None else now
    dep_id = ctx.dep_id

    def write(s: Any) -> None:
        found = s.execute(_WAITING, {"dep_id": dep_id, "what": what, "since": since}).rowcount
        if not found:
            return
        if not same:
            _say_once(s, dep_id, label, waiting)
        for other, its in waits[1:]:
            _say_once(s, dep_id, other, its)

    if delay is None:
        delay = waiting.retry_after
    if delay is None:
        waited = (now - since).total_seconds()
        delay = min(max(BACKOFF_MIN, BACKOFF_SHARE * waited), BACKOFF_MAX)
    return NodeParked(min(delay, max(deadline.remaining(), 0)), write, label, waiting)


def _say_once(s: Any, dep_id: str, label: str, waiting: Waiting) -> None:
    """The node's "waiting for" event, unless it is the node's last event already."""
    message = f"waiting for {waiting.what}"
    if not _same_wait(s.scalar(_LAST_EVENT, {"dep_id": dep_id, "node": label}) or "", message):
        record(s, dep_id, "info", message, node=label)


def _same_wait(old: str, new: str) -> bool:
    """The same node waiting for the same thing (a count in parentheses may change)."""
    return old.split(" (", 1)[0] == new.split(" (", 1)[0]


# Built once (a step's hot path); core, so no ORM bookkeeping.
_WAITING = (
    update(DEPLOYMENTS)
    .where(DEPLOYMENTS.c.id == bindparam("dep_id"))
    .values(waiting_for=bindparam("what"), waiting_since=bindparam("since"))
)
_STOP_WAITING = (
    update(DEPLOYMENTS)
    .where(DEPLOYMENTS.c.id == bindparam("dep_id"), DEPLOYMENTS.c.waiting_for.is_not(None))
    .where(DEPLOYMENTS.c.waiting_for != QUEUED)
    .values(waiting_for=None, waiting_since=None)
)
_LAST_EVENT = (
    select(Event.message)
    .where(Event.deployment_id == bindparam("dep_id"), Event.node == bindparam("node"))
    .order_by(Event.id.desc())
    .limit(1)
)


def stop_waiting(s: Any, dep_id: str) -> None:
    """The awaited node is ready (or the work ended): nothing is awaited any more."""
    s.execute(_STOP_WAITING, {"dep_id": dep_id})

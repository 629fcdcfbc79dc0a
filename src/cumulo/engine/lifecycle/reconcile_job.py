"""The reconcile job: make one deployment's nodes what is recorded of them, or say why not.

Enqueued by the reconciler (``reconcile.py``) when a site reports something
else than the store; it runs as a job so that the queue's lease rules keep it
from ever running beside another job of the deployment (a delete, an update,
a start/stop action). For each node that should run:

- the site cannot be asked: an ``unseen`` record, the state kept (unknown);
- not running: ``STOPPED``, and restarted with ``driver.start`` (the same
  container or server: never a new one) once it has been down for
  ``RESTART_GRACE`` (the job parks until then); a restart that fails is
  ``ERROR`` with the site's message, and is tried again at the next look;
- gone: ``ERROR``, not made again (a VM made anew would lose its users' data);
- running again: back to the state it was in, its attributes refreshed (a
  restarted container gets new host ports) and the outputs evaluated again.

The deployment's status reason lists the nodes' outages while there are any.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import select

from cumulo.drivers.base import Driver
from cumulo.engine.events import record
from cumulo.engine.jobs.queue import ClaimedJob, Parked
from cumulo.engine.lifecycle.actions import refresh_outputs
from cumulo.engine.lifecycle.node_outage import (
    CAUSES,
    DOWN,
    FAILED,
    GONE,
    UNSEEN,
    WATCHED_STATUSES,
    Outage,
    is_watched,
    label,
    record_outage,
)
from cumulo.engine.runtime import Engine
from cumulo.engine.states import NodeState, Status, set_resource_state
from cumulo.errors import CumuloError
from cumulo.store.db import utcnow
from cumulo.store.models import Deployment, Event, Resource, Site

# A node found down is restarted once it has been down this long: long enough for an
# engine that is shutting down (it stops every container, then stops answering) to be
# left alone, and for the engine's own restart policy to act first.
RESTART_GRACE = 15.0


def run_reconcile(engine: Engine, job: ClaimedJob, lost: threading.Event) -> None:
    with engine.db.session() as s:
        dep = s.get(Deployment, job.deployment_id)
        if dep is None or dep.status not in WATCHED_STATUSES:
            return  # deleted or changed meanwhile: its own job decides
        watched = [
            (r.id, r.site_name, r.physical_id)
            for r in s.scalars(select(Resource).where(Resource.deployment_id == dep.id))
            if is_watched(r)
        ]
    refreshed, due = False, 0.0
    for rid, site_name, pid in watched:
        if lost.is_set():
            return  # taken over: the new owner looks again
        driver = _driver(engine, site_name or "")
        changed, wait = _reconcile_node(engine, job.deployment_id, rid, pid or "", driver)
        refreshed, due = refreshed or changed, max(due, wait)
    if refreshed and not lost.is_set():
        refresh_outputs(engine, job.deployment_id)
    _update_reason(engine, job.deployment_id)
    if due > 0:
        raise Parked(due)  # a restart not due yet: the job looks again then


def _driver(engine: Engine, site_name: str) -> Driver | None:
    with engine.db.session() as s:
        site = s.get(Site, site_name)
        if site is None:
            return None
        s.expunge(site)
    return engine.job_driver(site)


def _reconcile_node(
    engine: Engine, dep_id: str, rid: str, pid: str, driver: Driver | None
) -> tuple[bool, float]:
    """Look at one node and act: whether its attributes changed (outputs to refresh),
    and in how many seconds its restart is due (0: none pending)."""
    try:
        if driver is None:
            raise CumuloError("its site is no longer registered")
        seen: str | None = driver.observe(pid)
        problem = ""
    except CumuloError as exc:
        seen, problem = None, str(exc)
    if seen is None:
        _mark(engine, dep_id, rid, UNSEEN, problem, keep_state=True)
        return False, 0.0
    if seen == "DELETING":
        return False, 0.0
    if seen == "DELETED":
        _mark(engine, dep_id, rid, GONE, CAUSES["DELETED"], state=NodeState.ERROR)
        return False, 0.0
    if seen != "STARTED":
        outage = _mark(engine, dep_id, rid, DOWN, CAUSES.get(seen, seen.lower()))
        if outage is None:
            return False, 0.0
        due = (datetime.fromisoformat(outage.since) - utcnow()).total_seconds() + RESTART_GRACE
        if due > 0:
            return False, due
    assert driver is not None
    try:  # a running node too: start() answers its attributes as they are now
        now = driver.start(pid)
    except CumuloError as exc:
        _mark(engine, dep_id, rid, FAILED, str(exc), state=NodeState.ERROR)
        return False, 0.0
    return _back(engine, dep_id, rid, now), 0.0


def _mark(
    engine: Engine,
    dep_id: str,
    rid: str,
    kind: str,
    cause: str,
    state: NodeState = NodeState.STOPPED,
    keep_state: bool = False,
) -> Outage | None:
    """Record the node's outage (its first instant kept); None if it moved on meanwhile."""
    with engine.db.session() as s:
        res = s.get(Resource, rid)
        if res is None or not is_watched(res):
            return None
        old = Outage.of(res)
        if old is not None and (kind == UNSEEN or (kind == DOWN and old.kind in (DOWN, FAILED))):
            return old  # the outage already said (a failed restart says more than "down")
        was = old.was if old is not None else res.state
        since = old.since if old is not None else utcnow().isoformat()
        outage = Outage(since, kind, cause, was)
        if old != outage:
            record_outage(res, outage)
            kind_of_event = "info" if kind in (UNSEEN, DOWN) else "error"
            record(s, dep_id, kind_of_event, outage.line(label(res)), node=label(res))
        # a failed restart stays ERROR until the node runs again
        if not keep_state and res.state != NodeState.ERROR:
            set_resource_state(s, res, state)
        return outage


def _back(engine: Engine, dep_id: str, rid: str, now: dict) -> bool:
    """The node runs: back to the state it was in, its outage record gone."""
    with engine.db.session() as s:
        res = s.get(Resource, rid)
        if res is None:
            return False
        old = Outage.of(res)
        changed = bool(now) and any((res.attributes or {}).get(k) != v for k, v in now.items())
        if now:
            res.attributes = {**(res.attributes or {}), **now}
        if old is None:
            return changed
        record_outage(res, None)
        if res.state in (NodeState.STOPPED, NodeState.ERROR):
            set_resource_state(s, res, NodeState(old.was))
        down = utcnow() - datetime.fromisoformat(old.since)
        message = f"node {label(res)}: running again (down {down.total_seconds():.0f} s)"
        record(s, dep_id, "info", message, node=label(res))
        return changed


def _update_reason(engine: Engine, dep_id: str) -> None:
    """The status reason: the nodes' outages while any, else what it was before them."""
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None or dep.status not in WATCHED_STATUSES:
            return
        resources = s.scalars(
            select(Resource)
            .where(Resource.deployment_id == dep_id)
            .order_by(Resource.node_name, Resource.node_index)
        ).all()
        lines = [o.line(label(r)) for r in resources if (o := Outage.of(r)) is not None]
        reason = "; ".join(lines) if lines else _settled_reason(s, dep)
        if reason != dep.status_reason:
            dep.status_reason = reason


def _settled_reason(s, dep: Deployment) -> str | None:  # type: ignore[no-untyped-def]
    """The reason the deployment's last status change gave (None for a *_COMPLETE)."""
    if dep.status != Status.UPDATE_FAILED:
        return None
    message = s.scalars(
        select(Event.message)
        .where(Event.deployment_id == dep.id, Event.kind == "status")
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    # "status UPDATE_IN_PROGRESS -> UPDATE_FAILED: <reason>" (states.set_deployment_status)
    _, sep, reason = (message or "").partition(f"-> {dep.status}: ")
    return reason if sep else dep.status_reason

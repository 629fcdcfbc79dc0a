"""One node instance in an attempt: made and looked at by the driver (parking the
job while it is not ready), or configured by its operations on its host (parking
the job while SSH does not answer there yet).

Each database change is its own short transaction; a node ready at the first
look is stored made and ready at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cumulo.configure import DEPLOY_OPERATIONS, operations_of, ssh_answers
from cumulo.drivers.base import Driver, NodeRequest, Realized, Waiting
from cumulo.engine.deadlines import Deadline
from cumulo.engine.events import record
from cumulo.engine.lifecycle.attempt_context import (
    RESOURCE_ROW_IS,
    AttemptContext,
    Cancelled,
    NodeFailed,
    StoredResource,
    check_running,
    resource_key,
    resource_row,
)
from cumulo.engine.lifecycle.configure_step import host_route, run_operations
from cumulo.engine.lifecycle.node_requests import spec_digest
from cumulo.engine.lifecycle.waiting import FIRST_LOOK, LATER_LOOK, park, stop_waiting
from cumulo.engine.outputs import json_safe
from cumulo.engine.states import (
    CONFIGURE_PATH,
    NodeState,
    advance,
    advance_values,
)
from cumulo.errors import CumuloError
from cumulo.store.models import RESOURCES, Site
from cumulo.store.row_updates import RowUpdates
from cumulo.tosca import NodeInstance

SSH_LOOK = 2.0  # how long one look waits for SSH's greeting


def resume_point(
    ctx: AttemptContext, key: tuple[str, int]
) -> tuple[tuple[str, dict[str, Any]] | None, Realized | None]:
    """The stored result of a node already configured, and what a parked (or dead) job
    of this attempt made and left waiting; either may be None.

    Read from the rows as the attempt opened them (``ctx.opened``): no one else
    writes them meanwhile. Whether the job still runs is checked by the step
    (``check_running``) before anything is made or looked at."""
    res = ctx.opened.get(key)
    if res is None:  # not opened by this job (an attempt made elsewhere): read it
        with ctx.engine.db.reader() as s:
            row = resource_row(s, ctx.dep_id, key)
            res = StoredResource(row.id, row.state, row.physical_id, dict(row.attributes or {}))
    if res.state in (NodeState.CONFIGURED, NodeState.STARTED, NodeState.STOPPED):
        return (res.physical_id or "", dict(res.attributes)), None
    if res.state == NodeState.CONFIGURING and res.physical_id:
        return None, Realized(res.physical_id, dict(res.attributes))
    return None, None


def configure_one(
    ctx: AttemptContext, inst: NodeInstance, req: NodeRequest, attributes: dict[Any, Any],
    site: Site, deadline: Deadline,
) -> dict[str, Any]:  # fmt: skip
    """A software component the site does not realize: its operations, run on its host
    once SSH answers there (a server just booted may take minutes: the job parks)."""
    key = (req.node, req.index)
    ctx.status_checked = False  # operations may run for minutes: later steps read again
    with ctx.engine.db.session() as s:
        check_running(s, ctx)
        advance(s, resource_row(s, ctx.dep_id, key), NodeState.CONFIGURING, CONFIGURE_PATH)
    if operations_of(inst, DEPLOY_OPERATIONS):
        _wait_for_ssh(ctx, inst, req, attributes, site, deadline)
    attrs = run_operations(ctx.engine, ctx.dep_id, ctx.plan, inst, req.index, attributes, site)
    with ctx.engine.db.session() as s:
        res = resource_row(s, ctx.dep_id, key)
        res.attributes = json_safe(attrs)
        advance(s, res, NodeState.CONFIGURED, CONFIGURE_PATH)
    return attrs


def _wait_for_ssh(
    ctx: AttemptContext, inst: NodeInstance, req: NodeRequest, attributes: dict[Any, Any],
    site: Site, deadline: Deadline,
) -> None:  # fmt: skip
    """Return once SSH answers on the instance's host; else park (fail past the deadline)."""
    route = host_route(inst, req.index, attributes, site)
    with ctx.engine.steps.released():
        why = ssh_answers(route, min(SSH_LOOK, max(deadline.remaining(), 0.1)))
    if why is None:
        with ctx.engine.db.session() as s:
            stop_waiting(s, ctx.dep_id)
        return
    waiting = Waiting(f"SSH on {inst.host} ({route.text()}) to answer", why)
    if deadline.remaining() <= 0:
        raise NodeFailed(req.node, req.index, deadline.explain(f"{waiting.what}: {why}"))
    park(ctx, f"{req.node}[{req.index}]", waiting, deadline)


def realize_one(
    ctx: AttemptContext, driver: Driver, req: NodeRequest, deadline: Deadline,
    realized: Realized | None,
) -> tuple[str | None, dict[str, Any]]:  # fmt: skip
    """Make the node (or carry on with ``realized``, what was made before) and look
    whether it is ready; if not, park.

    A node ready at an instant look right after it is made is stored made and ready
    in one transaction, not two (a job that dies in between finds it again, as
    ``Driver.create`` finds what a dead worker had started); otherwise it is stored
    CONFIGURING with its id before the engine waits for it.
    """
    key = (req.node, req.index)
    label = f"{req.node}[{req.index}]"
    db = ctx.engine.db
    look, created = LATER_LOOK, None
    checked, ctx.status_checked = ctx.status_checked, False
    made_state = None  # the row's state once this call stored CREATING, if it knows it
    if realized is None:
        with db.direct() as s:
            check_running(s, ctx)
            values = _advanced(s, ctx, key, NodeState.CREATING, _opened_initial(ctx, key))
            _write(s, ctx, key, values, spec_digest=spec_digest(req))
        made_state = values.get("state")
        made = driver.create(req)
        if isinstance(made, Waiting):  # nothing made yet (an image being pulled): ask again
            _park_or_fail(ctx, req, label, made, deadline)
        realized = created = made  # type: ignore[assignment]
        look = FIRST_LOOK
    elif ctx.lost.is_set():
        raise Cancelled()
    elif not checked:  # a resumed look: stop here if the deployment was deleted meanwhile
        with db.direct_reader() as s:
            check_running(s, ctx)
    got: Realized | Waiting | None = None
    try:
        if created is not None:
            got = driver.check_ready(req, realized, 0)
            if isinstance(got, Waiting):
                _store_created(ctx, key, label, created, made_state)
                created, got = None, None
        if got is None:
            got = driver.check_ready(req, realized, min(look, max(deadline.remaining(), 0)))
    except CumuloError:
        if created is not None:
            _store_created(ctx, key, label, created, made_state)
        with db.direct() as s:
            check_running(s, ctx)  # cancelled: its resource was removed on purpose
        raise
    if isinstance(got, Waiting):
        _park_or_fail(ctx, req, label, got, deadline)
    ready: Realized = got  # type: ignore[assignment]
    with db.direct() as s:
        values = {}
        if created is not None:
            values = _created(s, ctx, key, label, created, made_state)
        values |= _advanced(s, ctx, key, NodeState.CONFIGURED, values.get("state"))
        record(s, req.deployment_id, "driver", f"{ready.physical_id} is ready", node=label)
        _write(s, ctx, key, values, physical_id=ready.physical_id,
               attributes=json_safe(ready.attributes))  # fmt: skip
        stop_waiting(s, req.deployment_id)
    return ready.physical_id, dict(ready.attributes)


def _park_or_fail(
    ctx: AttemptContext, req: NodeRequest, label: str, got: Waiting, deadline: Deadline
) -> None:
    """Park while the node waits; past the deadline, fail it saying for what."""
    if deadline.remaining() <= 0:
        raise NodeFailed(req.node, req.index, deadline.explain(got.detail or got.what))
    park(ctx, label, got, deadline)


def _store_created(
    ctx: AttemptContext, key: tuple[str, int], label: str, made: Realized, state: str | None
) -> None:
    with ctx.engine.db.direct() as s:
        values = _created(s, ctx, key, label, made, state)
        _write(s, ctx, key, values, physical_id=made.physical_id,
               attributes=json_safe(made.attributes))  # fmt: skip


def _created(
    s: Any, ctx: AttemptContext, key: tuple[str, int], label: str, made: Realized,
    state: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The node exists on the site: CONFIGURING (the columns to write, with its id and
    attributes by the caller; from ``state`` if known, else as stored); Cancelled if the
    job was stopped."""
    values = _advanced(s, ctx, key, NodeState.CONFIGURING, state)
    record(s, ctx.dep_id, "driver", f"created {made.physical_id}", node=label)
    check_running(s, ctx)
    return values


# The hot path of every node: core statements, no ORM row loaded.
_STATE = select(RESOURCES.c.state).where(*RESOURCE_ROW_IS)
_WRITE = RowUpdates(RESOURCES, *RESOURCE_ROW_IS)


def _opened_initial(ctx: AttemptContext, key: tuple[str, int]) -> str | None:
    """INITIAL if the attempt opened the node's row so (nothing but its own steps writes
    it after that, and this is its first); else None: read it."""
    opened = ctx.opened.get(key)
    return opened.state if opened is not None and opened.state == NodeState.INITIAL else None


def _advanced(
    s: Any, ctx: AttemptContext, key: tuple[str, int], target: NodeState, state: str | None = None
) -> dict[str, Any]:
    """The columns that move the node's row to ``target`` (from ``state``, else its state
    as stored), each step's event recorded."""
    if state is None:
        state = s.scalar(_STATE, resource_key(ctx.dep_id, key))
    return advance_values(s, ctx.dep_id, key, state, target)


def _write(
    s: Any, ctx: AttemptContext, key: tuple[str, int], values: dict[str, Any], **more: Any
) -> None:
    _WRITE.execute(s, {**values, **more}, resource_key(ctx.dep_id, key))

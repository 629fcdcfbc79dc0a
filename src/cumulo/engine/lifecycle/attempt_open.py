"""Opening an attempt: its row, the deployment's site, and one resource row per node
instance, in one transaction of core statements.

A job resumed after it parked (or taken over) finds its attempt RUNNING on the same
site and carries on with it; one RUNNING elsewhere (a takeover that moved on) is
failed and a new one opened. Every attempt of every deployment passes here, so
nothing is loaded as ORM objects: a handful of statements built once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update

from cumulo.engine.accounts import valid_account
from cumulo.engine.events import record
from cumulo.engine.lifecycle.attempt_context import FAILED, AttemptContext, StoredResource
from cumulo.engine.states import DEPLOYMENT_ROW, NodeState, resource_state_values
from cumulo.store.account_models import User
from cumulo.store.db import utcnow
from cumulo.store.direct import Tx
from cumulo.store.models import ATTEMPTS, DEPLOYMENTS, RESOURCES, new_uuid

USERS = User.__table__
RUNNING = "RUNNING"
_dep = bindparam("dep_id")

_OPENING = (  # the deployment as the attempt needs it, with its owner's login name
    select(DEPLOYMENTS.c.status, DEPLOYMENTS.c.waiting_for, DEPLOYMENTS.c.keep_last_attempt,
           USERS.c.name)
    .outerjoin(USERS, (USERS.c.issuer == DEPLOYMENTS.c.owner_issuer)
               & (USERS.c.subject == DEPLOYMENTS.c.owner_subject))
    .where(DEPLOYMENTS.c.id == _dep)
)  # fmt: skip
_ATTEMPTS_OF = (
    select(ATTEMPTS.c.id, ATTEMPTS.c.number, ATTEMPTS.c.site_name, ATTEMPTS.c.status,
           ATTEMPTS.c.started_at, ATTEMPTS.c.last_try)
    .where(ATTEMPTS.c.deployment_id == _dep)
    .order_by(ATTEMPTS.c.id)
)  # fmt: skip
_END_RUNNING = (
    update(ATTEMPTS)
    .where(ATTEMPTS.c.id == bindparam("attempt_id"))
    .values(status=FAILED, ended_at=bindparam("at"))
)
_NEW_ATTEMPT = insert(ATTEMPTS)
_RESOURCES_OF = select(
    RESOURCES.c.id, RESOURCES.c.node_name, RESOURCES.c.node_index, RESOURCES.c.state,
    RESOURCES.c.physical_id, RESOURCES.c.attributes, RESOURCES.c.attempt_id,
    RESOURCES.c.required_by,
).where(RESOURCES.c.deployment_id == _dep)  # fmt: skip
_NEW_RESOURCES = insert(RESOURCES)


def open_attempt(ctx: AttemptContext, site_name: str) -> tuple[int, datetime] | None:
    """Open an attempt on ``site_name`` (or resume the running one) and its resource rows;
    None if the deployment left the status the job serves."""
    with ctx.engine.db.direct() as s:
        found = s.execute(_OPENING, {"dep_id": ctx.dep_id}).first()
        if found is None or found.status != ctx.in_progress:
            return None
        _status, waiting_for, keep_last, owner_name = found
        attempt_id, started_at, first = _attempt_row(s, ctx, site_name, waiting_for, keep_last)
        values = {**ctx.take_pending(s), "site_name": site_name, "task": "DEPLOYER"}
        DEPLOYMENT_ROW.execute(s, values, {"dep_id": ctx.dep_id})
        _resource_rows(s, ctx, site_name, attempt_id, first)
        ctx.ssh_user = valid_account(ctx.engine, owner_name)
        ctx.status_checked = True
        return attempt_id, started_at


def _attempt_row(
    s: Tx, ctx: AttemptContext, site_name: str, waiting_for: str | None, keep_last: Any
) -> tuple[int, datetime, bool]:
    """The attempt's id and start, and whether it is the deployment's first."""
    attempts = s.execute(_ATTEMPTS_OF, {"dep_id": ctx.dep_id}).all()
    running = next((a for a in reversed(attempts) if a.status == RUNNING), None)
    if running is not None and running.site_name == site_name:
        # A parked job resumes silently; a takeover says so.
        if not waiting_for:
            record(s, ctx.dep_id, "info", f"resuming attempt {running.number} on site {site_name}")
        ctx.keep_on_failure = ctx.keep_on_failure or bool(running.last_try and keep_last)
        return running.id, running.started_at, False
    now = utcnow()
    if running is not None:  # a takeover moved on to another site
        s.execute(_END_RUNNING, {"attempt_id": running.id, "at": now})
    number = len(attempts) + 1
    row = {"deployment_id": ctx.dep_id, "number": number, "site_name": site_name,
           "status": RUNNING, "started_at": now, "last_try": ctx.last_try}  # fmt: skip
    attempt_id = s.execute(_NEW_ATTEMPT, row).inserted_primary_key[0]
    record(s, ctx.dep_id, "info", f"attempt {number} on site {site_name}")
    return attempt_id, now, not attempts


def _resource_rows(
    s: Tx, ctx: AttemptContext, site_name: str, attempt_id: int, first: bool
) -> None:
    """A row per node instance of the plan (kept ones as they are), into ``ctx.opened``.
    Only an attempt opens resource rows, and attempts stay: the first has none to read."""
    required_by: dict[str, set[str]] = defaultdict(set)
    for inst in ctx.plan.instances:
        for req in inst.requirements or ():
            if req.node:
                required_by[req.node].add(inst.node)
    existing = {} if first else {
        (r.node_name, r.node_index): r for r in s.execute(_RESOURCES_OF, {"dep_id": ctx.dep_id})
    }  # fmt: skip
    now, new_rows = utcnow(), []
    ctx.opened = {}
    for inst in ctx.plan.instances:
        key = (inst.node, ctx.stored_index(inst))
        needed_by = sorted(required_by.get(inst.node, ()))
        row = existing.get(key)
        if row is None:
            res_id = new_uuid()
            new_rows.append({
                "id": res_id, "deployment_id": ctx.dep_id, "node_name": key[0],
                "node_index": key[1], "node_type": inst.type, "state": NodeState.INITIAL.value,
                "attributes": {}, "attempt_id": attempt_id, "site_name": site_name,
                "required_by": needed_by, "created_at": now, "updated_at": now,
            })  # fmt: skip
            ctx.opened[key] = StoredResource(res_id, NodeState.INITIAL.value, None, {})
            continue
        ctx.opened[key] = _reopened(s, ctx, row, key, needed_by, site_name, attempt_id)
    if new_rows:
        s.execute(_NEW_RESOURCES, new_rows)


def _reopened(
    s: Tx,
    ctx: AttemptContext,
    row: Row[Any],
    key: tuple[str, int],
    needed_by: list[str],
    site_name: str,
    attempt_id: int,
) -> StoredResource:
    """An existing row as this attempt takes it: a failed node starts again from INITIAL;
    one not made yet (or of no attempt) becomes this attempt's."""
    state, changes = row.state, {}
    if state == NodeState.ERROR:
        changes = resource_state_values(s, ctx.dep_id, key, state, NodeState.INITIAL)
        state = NodeState.INITIAL.value
    if state == NodeState.INITIAL or row.attempt_id is None:
        changes |= {"attempt_id": attempt_id, "site_name": site_name}
    if list(row.required_by or []) != needed_by:
        changes["required_by"] = needed_by
    if changes:
        s.execute(update(RESOURCES).where(RESOURCES.c.id == row.id).values(**changes))
    return StoredResource(row.id, state, row.physical_id, dict(row.attributes or {}))

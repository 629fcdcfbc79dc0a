"""The one transition table for deployment statuses and resource states.

Nothing else changes a status: every change goes through ``set_deployment_status``
(or ``write_deployment_status`` for a caller that reads columns, not the ORM row)
or ``set_resource_state`` (``advance_values`` on the node's hot path), which check
the table, stamp the row and record an event (events feed ``/log``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from cumulo.engine.callbacks import notice
from cumulo.engine.events import record
from cumulo.errors import InvalidTransition
from cumulo.store.db import utcnow
from cumulo.store.direct import Tx, orm_of
from cumulo.store.models import DEPLOYMENTS, Deployment, Resource
from cumulo.store.row_updates import RowUpdates


class Status(StrEnum):
    """Deployment statuses: INDIGO's exact strings."""

    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    CREATE_FAILED = "CREATE_FAILED"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_COMPLETE = "UPDATE_COMPLETE"
    UPDATE_FAILED = "UPDATE_FAILED"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
    DELETE_COMPLETE = "DELETE_COMPLETE"
    DELETE_FAILED = "DELETE_FAILED"
    UNKNOWN = "UNKNOWN"


class NodeState(StrEnum):
    """Resource (node instance) states: INDIGO's exact strings."""

    INITIAL = "INITIAL"
    CREATING = "CREATING"
    CREATED = "CREATED"
    CONFIGURING = "CONFIGURING"
    CONFIGURED = "CONFIGURED"
    STARTING = "STARTING"
    STARTED = "STARTED"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    DELETING = "DELETING"
    ERROR = "ERROR"


S = Status
DEPLOYMENT_TRANSITIONS: dict[Status | None, frozenset[Status]] = {
    None: frozenset({S.CREATE_IN_PROGRESS}),
    S.CREATE_IN_PROGRESS: frozenset(
        {S.CREATE_COMPLETE, S.CREATE_FAILED, S.DELETE_IN_PROGRESS, S.UNKNOWN}
    ),
    S.CREATE_COMPLETE: frozenset({S.UPDATE_IN_PROGRESS, S.DELETE_IN_PROGRESS, S.UNKNOWN}),
    S.CREATE_FAILED: frozenset({S.DELETE_IN_PROGRESS, S.UNKNOWN}),
    S.UPDATE_IN_PROGRESS: frozenset(
        {S.UPDATE_COMPLETE, S.UPDATE_FAILED, S.DELETE_IN_PROGRESS, S.UNKNOWN}
    ),
    S.UPDATE_COMPLETE: frozenset({S.UPDATE_IN_PROGRESS, S.DELETE_IN_PROGRESS, S.UNKNOWN}),
    S.UPDATE_FAILED: frozenset({S.UPDATE_IN_PROGRESS, S.DELETE_IN_PROGRESS, S.UNKNOWN}),
    S.DELETE_IN_PROGRESS: frozenset({S.DELETE_COMPLETE, S.DELETE_FAILED}),
    S.DELETE_FAILED: frozenset({S.DELETE_IN_PROGRESS}),
    S.DELETE_COMPLETE: frozenset(),
    S.UNKNOWN: frozenset({S.DELETE_IN_PROGRESS}),
}

# Statuses in which no work is running for the deployment.
FINAL_STATUSES = frozenset(
    {S.CREATE_COMPLETE, S.CREATE_FAILED, S.UPDATE_COMPLETE, S.UPDATE_FAILED, S.DELETE_FAILED}
)
# Statuses announced to the deployment's callback URL.
NOTIFIED_STATUSES = FINAL_STATUSES | {S.DELETE_COMPLETE}

# The failure that ends each kind of work in progress.
FAILED_OF = {
    S.CREATE_IN_PROGRESS: S.CREATE_FAILED,
    S.UPDATE_IN_PROGRESS: S.UPDATE_FAILED,
    S.DELETE_IN_PROGRESS: S.DELETE_FAILED,
}

N = NodeState
_ANY_LIVE = frozenset({N.ERROR, N.DELETING})
RESOURCE_TRANSITIONS: dict[NodeState, frozenset[NodeState]] = {
    # Software components skip CREATING: they are configured on their host.
    N.INITIAL: frozenset({N.CREATING, N.CONFIGURING}) | _ANY_LIVE,
    N.CREATING: frozenset({N.CREATED}) | _ANY_LIVE,
    N.CREATED: frozenset({N.CONFIGURING, N.STARTING, N.STARTED}) | _ANY_LIVE,
    N.CONFIGURING: frozenset({N.CONFIGURED}) | _ANY_LIVE,
    # A running node found STOPPED by the reconciler, and back to what it was once it runs
    # again (``lifecycle/reconcile.py``); a restart that fails leaves it ERROR until then.
    N.CONFIGURED: frozenset({N.CONFIGURING, N.STARTING, N.STOPPING, N.STARTED, N.STOPPED})
    | _ANY_LIVE,
    N.STARTING: frozenset({N.STARTED}) | _ANY_LIVE,
    N.STARTED: frozenset({N.STOPPING, N.CONFIGURING, N.STOPPED}) | _ANY_LIVE,
    N.STOPPING: frozenset({N.STOPPED}) | _ANY_LIVE,
    N.STOPPED: frozenset({N.STARTING, N.CONFIGURED, N.STARTED}) | _ANY_LIVE,
    N.DELETING: frozenset({N.ERROR}),
    # A failed node may be tried again (a new attempt) or removed, or found running again.
    N.ERROR: frozenset({N.INITIAL, N.CREATING, N.DELETING, N.CONFIGURED, N.STARTED}),
}


# Columns written on one deployment's row by core callers (``dep_id``): the final
# status here, the attempt's opening (``lifecycle.attempt_open``).
DEPLOYMENT_ROW = RowUpdates(DEPLOYMENTS, DEPLOYMENTS.c.id == bindparam("dep_id"))


class StoredStatus(Protocol):
    """A deployment's columns as a core caller read them (e.g. a ``Row``)."""

    id: str
    status: str
    version: int
    callback: str | None


def can_change(old: Status | None, new: Status) -> bool:
    return new in DEPLOYMENT_TRANSITIONS[old]


def check_deployment_transition(old: str | None, new: Status) -> None:
    current = Status(old) if old is not None else None
    if can_change(current, new):
        return
    if new is Status.DELETE_IN_PROGRESS and current in (S.DELETE_IN_PROGRESS, S.DELETE_COMPLETE):
        raise InvalidTransition(f"Deployment already in {current} state.")
    raise InvalidTransition(f"Deployment status cannot change from {current} to {new}.")


def set_deployment_status(
    session: Tx, dep: Deployment, new: Status, reason: str | None = None
) -> None:
    """Change ``dep``'s status if the table allows it (else ``InvalidTransition``)."""
    values = deployment_status_values(session, dep.id, dep.status, dep.version, new, reason)
    for column, value in values.items():
        setattr(dep, column, value)
    if new in NOTIFIED_STATUSES:
        notice(orm_of(session), dep)


def write_deployment_status(
    session: Tx,
    dep: StoredStatus,
    new: Status,
    reason: str | None = None,
    **more: Any,
) -> None:
    """``set_deployment_status`` for a caller that read the row's columns (core SQL): one
    ``UPDATE`` (with the columns ``more``); the ORM row is loaded only for a callback."""
    values = deployment_status_values(session, dep.id, dep.status, dep.version, new, reason)
    DEPLOYMENT_ROW.execute(session, {**values, **more}, {"dep_id": dep.id})
    if new in NOTIFIED_STATUSES and dep.callback:
        orm = orm_of(session)
        notice(orm, orm.get(Deployment, dep.id, populate_existing=True))  # type: ignore[arg-type]


def deployment_status_values(
    session: Tx, dep_id: str, old: str | None, version: int | None, new: Status,
    reason: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The columns that move a deployment from ``old`` to ``new`` (checked against the
    table; the event recorded in ``session``)."""
    check_deployment_transition(old, new)
    message = f"status {old} -> {new}" if old else f"status {new}"
    if reason:
        message += f": {reason}"
    record(session, dep_id, "status", message)
    return {
        "status": new.value, "status_reason": reason, "updated_at": utcnow(),
        "version": (version or 0) + 1,
    }  # fmt: skip


def check_resource_transition(old: str, new: NodeState) -> None:
    if new not in RESOURCE_TRANSITIONS[NodeState(old)]:
        raise InvalidTransition(f"Resource state cannot change from {old} to {new}.")


def set_resource_state(session: Session, res: Resource, new: NodeState) -> None:
    """Change one resource's state if the table allows it; a same-state change is a no-op."""
    for column, value in resource_state_values(
        session, res.deployment_id, (res.node_name, res.node_index), res.state, new
    ).items():
        setattr(res, column, value)


def resource_state_values(
    session: Tx, dep_id: str, node: tuple[str, int], old: str, new: NodeState
) -> dict[str, Any]:
    """The columns that move a resource from ``old`` to ``new`` (checked against the table;
    the event recorded in ``session``), for a caller that writes the row itself (core SQL);
    none for a same-state change."""
    if old == new.value:
        return {}
    check_resource_transition(old, new)
    record(session, dep_id, "resource", f"{old} -> {new}", f"{node[0]}[{node[1]}]")
    return {"state": new.value, "updated_at": utcnow()}


# The ways a resource is made: natively by a driver, or configured on its host.
CREATE_PATH = (N.INITIAL, N.CREATING, N.CREATED, N.CONFIGURING, N.CONFIGURED)
CONFIGURE_PATH = (N.INITIAL, N.CONFIGURING, N.CONFIGURED)


def advance(
    session: Session, res: Resource, target: NodeState, path: tuple[NodeState, ...] = CREATE_PATH
) -> None:
    """Move ``res`` forward along ``path`` up to ``target``, one table step at a time.

    A resource already at or past ``target`` is left alone, so a job taken over
    after a crash repeats no step; one in ERROR starts again from INITIAL.
    """
    node = (res.node_name, res.node_index)
    values = advance_values(session, res.deployment_id, node, res.state, target, path)
    for column, value in values.items():
        setattr(res, column, value)


def advance_values(
    session: Tx,
    dep_id: str,
    node: tuple[str, int],
    current: str,
    target: NodeState,
    path: tuple[NodeState, ...] = CREATE_PATH,
) -> dict[str, Any]:
    """``advance`` for a caller that writes the row itself (core SQL): the columns that
    move a resource in state ``current`` to ``target``, each step's event recorded."""
    values: dict[str, Any] = {}
    if current == N.ERROR:
        values |= resource_state_values(session, dep_id, node, current, N.INITIAL)
        current = N.INITIAL.value
    state = NodeState(current)
    if state not in path:
        raise InvalidTransition(f"Resource state cannot change from {state} to {target}.")
    start, stop = path.index(state), path.index(target)
    for step in path[start + 1 : stop + 1]:
        values |= resource_state_values(session, dep_id, node, current, step)
        current = step.value
    return values

"""What one job knows of the deployment it serves, and what an attempt ends with.

Shared by the attempt (``attempt.py``), its node steps (``node_step.py``), the
federation's loop and the waits (``waiting``, ``site_outage``), so that none of
them imports another for these.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select

from cumulo.engine.events import record
from cumulo.engine.runtime import Engine
from cumulo.engine.states import (
    Status,
)
from cumulo.store.direct import Tx
from cumulo.store.models import RESOURCES, Deployment, Resource
from cumulo.tosca import NodeInstance, Plan

SUCCEEDED, FAILED, CANCELLED = "SUCCEEDED", "FAILED", "CANCELLED"


class Cancelled(Exception):
    """The deployment left the status the job serves (e.g. a delete) or the job was taken over."""


class NodeFailed(Exception):
    def __init__(self, node: str, index: int, cause: str) -> None:
        # Drivers name the node themselves ("node app: ..."); say it once, with the index.
        cause = cause.removeprefix(f"node {node}: ")
        super().__init__(f"node {node}[{index}]: {cause}")
        self.node, self.index, self.cause = node, index, cause


@dataclass
class AttemptContext:
    """What one job knows of the deployment it serves, shared by its attempts."""

    engine: Engine
    dep_id: str
    plan: Plan
    lost: threading.Event  # set when the job's lease was taken over
    in_progress: Status  # the status the job serves: CREATE_ or UPDATE_IN_PROGRESS
    deadline: datetime  # overall (timeoutMins), UTC
    provider_timeout: timedelta  # per attempt (providerTimeoutMins)
    # Keep the resources if this attempt fails (keepLastAttempt, on the last attempt).
    keep_on_failure: bool = False
    last_try: bool = False  # the attempt is on the last site the job may try
    # Remove the attempt's resources on failure (a create does; an update keeps what it had).
    clean_on_failure: bool = True
    # Plan (node, index) -> stored index; an update keeps surviving instances' indexes.
    index_map: dict[tuple[str, int], int] = field(default_factory=dict)
    # Read once by the deploy job when it starts (``deploy.prepare``).
    running_site: str | None = None  # the site of an attempt still RUNNING
    keep_last_attempt: bool = False
    ssh_user: str | None = None  # the owner's VM account, read when the attempt opens
    # The attempt's opening just found the deployment in its status: the first resumed
    # look needs no read of its own (``node_step.realize_one``).
    status_checked: bool = False
    # What the deployment waited for, and since when, as the job started (``waiting.park``).
    waiting: tuple[str | None, datetime | None] = (None, None)
    # Where the deployment may go (group, requested site, maxProvidersRetry), read by
    # ``deploy.prepare``; and its attempts so far when it knows them (None: to be read).
    placement: tuple[str | None, str | None, int | None] = (None, None, None)
    history: list[PastAttempt] | None = None
    # The resource rows as the attempt opened them, (node, stored index) -> row: until
    # this job's own steps change them, no other writer does (one job per deployment).
    opened: dict[tuple[str, int], StoredResource] = field(default_factory=dict)
    # Writes on the deployment carried to the job's next transaction on it (the
    # scheduling decision rides with the attempt's opening or the final status): one
    # transaction less, and a crash before it loses nothing the takeover does not redo.
    # Column values of its row, and events (kind, message).
    pending: dict[str, Any] = field(default_factory=dict)
    pending_events: list[tuple[str, str]] = field(default_factory=list)

    def stored_index(self, inst: NodeInstance) -> int:
        return self.index_map.get((inst.node, inst.index), inst.index)

    def take_pending(self, s: Tx) -> dict[str, Any]:
        """The pending column values (the caller writes them on the row); the pending
        events are recorded in ``s``."""
        for kind, message in self.pending_events:
            record(s, self.dep_id, kind, message)
        values = dict(self.pending)
        self.pending.clear()
        self.pending_events.clear()
        return values


@dataclass(frozen=True)
class PastAttempt:
    site: str
    status: str  # RUNNING / SUCCEEDED / FAILED
    error: str | None
    seconds: float  # how long it ran (0 if it has not ended)


@dataclass(frozen=True)
class StoredResource:
    id: str
    state: str
    physical_id: str | None
    attributes: dict[str, Any]


@dataclass(frozen=True)
class AttemptResult:
    site: str
    outcome: str  # SUCCEEDED / FAILED / CANCELLED
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    # A success's attempt, left RUNNING for the caller to end with the final status.
    attempt_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == SUCCEEDED


# Built once: every node step runs them. A node instance's row, by (deployment, node,
# index): its conditions, and their parameters (``resource_key``).
RESOURCE_ROW_IS = (
    RESOURCES.c.deployment_id == bindparam("dep_id"),
    RESOURCES.c.node_name == bindparam("node"),
    RESOURCES.c.node_index == bindparam("index"),
)
_RESOURCE_ROW = select(Resource).where(*RESOURCE_ROW_IS)
_STATUS = select(Deployment.status).where(Deployment.id == bindparam("dep_id"))


def resource_key(dep_id: str, key: tuple[str, int]) -> dict[str, Any]:
    return {"dep_id": dep_id, "node": key[0], "index": key[1]}


def resource_row(s: Any, dep_id: str, key: tuple[str, int]) -> Resource:
    return s.scalars(_RESOURCE_ROW, resource_key(dep_id, key)).one()


def check_running(s: Any, ctx: AttemptContext) -> None:
    """Raise ``Cancelled`` if the job was taken over or the deployment left its status."""
    if ctx.lost.is_set():
        raise Cancelled()
    if s.scalar(_STATUS, {"dep_id": ctx.dep_id}) != ctx.in_progress:
        raise Cancelled()

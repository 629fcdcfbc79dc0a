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

from sqlalchemy import select

from cumulo.engine.runtime import Engine
from cumulo.engine.states import (
    Status,
)
from cumulo.store.models import Deployment, Resource
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

    def stored_index(self, inst: NodeInstance) -> int:
        return self.index_map.get((inst.node, inst.index), inst.index)


@dataclass(frozen=True)
class AttemptResult:
    site: str
    outcome: str  # SUCCEEDED / FAILED / CANCELLED
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == SUCCEEDED


def resource_row(s: Any, dep_id: str, key: tuple[str, int]) -> Resource:
    return s.scalars(
        select(Resource).where(
            Resource.deployment_id == dep_id,
            Resource.node_name == key[0],
            Resource.node_index == key[1],
        )
    ).one()


def check_running(s: Any, ctx: AttemptContext) -> None:
    """Raise ``Cancelled`` if the job was taken over or the deployment left its status."""
    if ctx.lost.is_set():
        raise Cancelled()
    status = s.scalar(select(Deployment.status).where(Deployment.id == ctx.dep_id))
    if status != ctx.in_progress:
        raise Cancelled()

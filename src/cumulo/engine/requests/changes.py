"""Changes the API requests on an existing deployment: update, reset of a stuck delete,
start/stop of a compute resource.

Like every service, they validate, store the desired state and a job, and
answer. Concurrent requests are settled by optimistic locking (``guard_version``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cumulo.auth import audit
from cumulo.auth.identity import Identity
from cumulo.auth.permissions import require_owner
from cumulo.engine.callbacks import check_callback
from cumulo.engine.events import record
from cumulo.engine.jobs.queue import JobKind, enqueue
from cumulo.engine.requests.deployments import guard_version, not_found
from cumulo.engine.requests.oidc_groups import check_oidc_groups
from cumulo.engine.runtime import Engine
from cumulo.engine.sensitive_inputs import seal, unseal
from cumulo.engine.sites.scheduling import check_size
from cumulo.engine.states import (
    NodeState,
    Status,
    check_deployment_transition,
    check_resource_transition,
    set_deployment_status,
    set_resource_state,
)
from cumulo.errors import BadRequest, Conflict, NotFound
from cumulo.store.models import Deployment, Resource

COMPUTE_TYPE = "tosca.nodes.Compute"
# A deployment whose resources may be started or stopped: no work in progress.
ACTIONABLE = frozenset({Status.CREATE_COMPLETE, Status.UPDATE_COMPLETE, Status.UPDATE_FAILED})


@dataclass(frozen=True)
class DeploymentUpdate:
    """Body of ``PUT /deployments/{id}``: what is not given stays as stored."""

    template: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    callback: str | None = None
    timeout_mins: int | None = None
    provider_timeout_mins: int | None = None
    max_providers_retry: int | None = None
    keep_last_attempt: bool | None = None


def _read(engine: Engine, dep_id: str, caller: Identity) -> Deployment:
    """The deployment, if the caller may change it (404 unseen, 403 not theirs)."""
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        require_owner(caller, dep, dep_id)
        return dep


def request_update(
    engine: Engine, dep_id: str, change: DeploymentUpdate, caller: Identity
) -> Deployment:
    """Merge the parameters over the stored ones, check the plan, and enqueue the update."""
    seen = _read(engine, dep_id, caller)
    check_deployment_transition(seen.status, Status.UPDATE_IN_PROGRESS)  # 409 before any work
    check_callback(engine.egress, engine.settings, change.callback)
    template = change.template or seen.template
    parameters = {**unseal(engine, seen), **change.parameters}
    plan = engine.plan(template, parameters)  # ToscaError (400) on bad template or inputs
    check_oidc_groups(engine.settings, plan.inputs)  # 400: groups of no OIDC provider
    check_size(engine, plan, seen.user_group, seen.requested_site)  # 400: no site holds it
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None:
            raise not_found(dep_id)
        guard_version(s, dep, seen.version)
        check_deployment_transition(dep.status, Status.UPDATE_IN_PROGRESS)
        dep.template, dep.parameters = template, seal(engine, template, parameters, dep_id)
        if change.callback is not None:
            dep.callback = change.callback
        if change.timeout_mins is not None:
            dep.timeout_mins = change.timeout_mins
        if change.provider_timeout_mins is not None:
            dep.provider_timeout_mins = change.provider_timeout_mins
        if change.max_providers_retry is not None:
            dep.max_providers_retry = change.max_providers_retry
        if change.keep_last_attempt is not None:
            dep.keep_last_attempt = change.keep_last_attempt
        set_deployment_status(s, dep, Status.UPDATE_IN_PROGRESS)
        enqueue(s, JobKind.UPDATE, dep)
        audit.record(s, caller, "deployment-update", dep.id)
    engine.notify()
    return dep


def reset_delete(engine: Engine, dep_id: str, status: str, caller: Identity) -> None:
    """``PATCH {"status": "DELETE_FAILED"}``: release a delete that is stuck."""
    if status != Status.DELETE_FAILED:
        raise BadRequest(f"field 'status': only DELETE_FAILED can be set, not {status!r}")
    seen = _read(engine, dep_id, caller)
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None:
            raise not_found(dep_id)
        guard_version(s, dep, seen.version)
        if dep.status != Status.DELETE_IN_PROGRESS:
            raise Conflict(
                f"Deployment status cannot change from {dep.status} to DELETE_FAILED: "
                "only a deployment in DELETE_IN_PROGRESS can be reset"
            )
        dep.task = "NONE"
        audit.record(s, caller, "deployment-reset", dep.id)
        set_deployment_status(
            s, dep, Status.DELETE_FAILED, "the delete was reset by a user; DELETE retries it"
        )


def request_action(
    engine: Engine, dep_id: str, resource_id: str, action: str, caller: Identity
) -> None:
    """Mark a compute resource STARTING or STOPPING and enqueue the action job."""
    wanted = {"start": NodeState.STARTING, "stop": NodeState.STOPPING}.get(action)
    if wanted is None:
        raise BadRequest(f"field 'type': must be 'start' or 'stop', not {action!r}")
    seen = _read(engine, dep_id, caller)
    if not _is_compute(engine, seen, resource_id):
        raise BadRequest(f"resource <{resource_id}>: start and stop apply to compute nodes only")
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        res = s.get(Resource, resource_id)
        if dep is None:
            raise not_found(dep_id)
        if res is None or res.deployment_id != dep_id:
            raise NotFound(f"The resource <{resource_id}> in deployment <{dep_id}> doesn't exist")
        guard_version(s, dep, seen.version)
        if dep.status not in ACTIONABLE:
            raise Conflict(f"the deployment is {dep.status}: wait until its work is done")
        if wanted is NodeState.STARTING and res.state in (NodeState.STARTED, NodeState.CONFIGURED):
            return  # already running: nothing to do
        if wanted is NodeState.STOPPING and res.state == NodeState.STOPPED:
            return
        check_resource_transition(res.state, wanted)
        set_resource_state(s, res, wanted)
        record(s, dep_id, "info", f"{action} requested", node=f"{res.node_name}[{res.node_index}]")
        dep.version += 1  # a second request at once conflicts with this one
        enqueue(s, JobKind.ACTION, dep)
    engine.notify()


def _is_compute(engine: Engine, dep: Deployment, resource_id: str) -> bool:
    with engine.db.session() as s:
        res = s.get(Resource, resource_id)
        if res is None or res.deployment_id != dep.id:
            raise NotFound(f"The resource <{resource_id}> in deployment <{dep.id}> doesn't exist")
        node = res.node_name
    plan = engine.plan(dep.template, unseal(engine, dep))
    return any(inst.is_a(COMPUTE_TYPE) for inst in plan.instances if inst.node == node)

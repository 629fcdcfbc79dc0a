"""Engine services the API calls: they validate, store the desired state and a job.

A request never does cloud work itself; workers pick the jobs up. Concurrent
requests on one deployment are settled by optimistic locking: a change is
written only if the deployment's ``version`` is still the one read
(``guard_version``), so of two at once the second gets 409, on SQLite and on
PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from cumulo.auth import audit
from cumulo.auth.identity import Identity
from cumulo.auth.permissions import require_owner
from cumulo.engine.callbacks import check_callback
from cumulo.engine.events import record as record_event
from cumulo.engine.jobs.queue import JobKind, enqueue
from cumulo.engine.requests.new_deployment import NewDeployment
from cumulo.engine.requests.oidc_groups import check_oidc_groups
from cumulo.engine.requests.owner_keys import with_owner_keys
from cumulo.engine.runtime import Engine
from cumulo.engine.sensitive_inputs import seal
from cumulo.engine.sites.scheduling import check_placement, decide
from cumulo.engine.states import Status, check_deployment_transition, set_deployment_status
from cumulo.errors import Conflict, NotFound
from cumulo.store.db import utcnow
from cumulo.store.models import DEPLOYMENTS, Deployment, new_uuid

INSERT_DEPLOYMENT = insert(DEPLOYMENTS)
DEPLOYMENT_COLUMNS = frozenset(DEPLOYMENTS.columns.keys())


def not_found(dep_id: str) -> NotFound:
    return NotFound(f"The deployment <{dep_id}> doesn't exist")


def create_deployment(engine: Engine, new: NewDeployment, owner: Identity) -> Deployment:
    """Validate the template and parameters, store the deployment and its deploy job.

    The template is parsed once (``engine.template`` keeps it by text): the owner's
    keys, the plan and the sealing of secrets all read that one parse. Engine work,
    as a worker's step is: taken in turns with the workers (``engine.step_lock``).
    """
    with engine.steps.held():
        return _create(engine, new, owner)


def _create(engine: Engine, new: NewDeployment, owner: Identity) -> Deployment:
    check_callback(engine.egress, engine.settings, new.callback)  # 400: not where cumulo may post
    template = engine.template(new.template)  # ToscaError (400): a bad template
    new = with_owner_keys(engine, new, template, owner)
    plan = engine.plan(new.template, new.parameters)  # ToscaError (400): bad inputs
    check_oidc_groups(engine.settings, plan.inputs)  # 400: groups of no OIDC provider
    check_placement(engine, plan, new.user_group, new.site)  # 400: unusable manual choice
    dep_id, now = new_uuid(), utcnow()  # sealed inputs are bound to the id
    # Not added to the session: its row is one core INSERT (the ORM's unit of work cost
    # more than the whole statement); the object is what the caller renders.
    dep = Deployment(
        id=dep_id,
        created_at=now,
        updated_at=now,
        template=new.template,
        parameters=seal(engine, new.template, new.parameters, dep_id),
        outputs={},
        callback=new.callback,
        timeout_mins=new.timeout_mins,
        provider_timeout_mins=new.provider_timeout_mins,
        max_providers_retry=new.max_providers_retry,
        keep_last_attempt=new.keep_last_attempt,
        user_group=new.user_group,
        description=new.description,
        requested_site=new.site,
        owner_issuer=owner.issuer,
        owner_subject=owner.subject,
        task="NONE",
    )
    with engine.db.direct() as s:  # core statements only: the hot path's transaction
        set_deployment_status(s, dep, Status.CREATE_IN_PROGRESS)
        enqueue(s, JobKind.DEPLOY, dep)
        s.connection().execute(INSERT_DEPLOYMENT, {k: v for k, v in vars(dep).items()
                                                   if k in DEPLOYMENT_COLUMNS})  # fmt: skip
        audit.record(s, owner, "deployment-create", dep.id, new.user_group)
    engine.notify()
    return dep


def explain_placement(engine: Engine, new: NewDeployment) -> dict[str, Any]:
    """Where ``new`` would go and why, without deploying (``cumulo deploy --dry-run``)."""
    plan = engine.plan(new.template, new.parameters)
    decision, _ = decide(engine, plan, new.user_group, new.site)
    return decision.to_json()


def scheduling_of(engine: Engine, dep_id: str) -> dict[str, Any]:
    """The last scheduling decision of a deployment, explained."""
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None:
            raise not_found(dep_id)
        if dep.scheduling:
            return {"scheduled": True, **dep.scheduling}
        return {
            "scheduled": False,
            "message": "not scheduled yet: its deploy job has not started",
        }


def guard_version(s: Session, dep: Deployment, seen: int) -> None:
    """Raise ``Conflict`` unless the row still has the version ``seen`` (and hold it)."""
    result = s.execute(
        update(Deployment)
        .where(Deployment.id == dep.id, Deployment.version == seen)
        .values(version=seen)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            f"the deployment <{dep.id}> was changed by another request at the same time; "
            "read it again and retry"
        )


def request_delete(engine: Engine, dep_id: str, caller: Identity, force: bool = False) -> None:
    """Mark the deployment DELETE_IN_PROGRESS and enqueue its delete job.

    Work in progress (a create or an update) stops at its next step, or at
    once when it waits on a resource; the delete runs after it.
    """
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        require_owner(caller, dep, dep_id)
        guard_version(s, dep, dep.version)
        if dep.locked:
            raise Conflict(f"the deployment <{dep_id}> is locked against deletion: unlock it first")
        check_deployment_transition(dep.status, Status.DELETE_IN_PROGRESS)
        set_deployment_status(s, dep, Status.DELETE_IN_PROGRESS)
        enqueue(s, JobKind.FORCE_DELETE if force else JobKind.DELETE, dep)
        audit.record(s, caller, "deployment-delete", dep.id)
    engine.notify()


def set_locked(engine: Engine, dep_id: str, caller: Identity, locked: bool) -> None:
    """Lock a deployment against deletion, or unlock it."""
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        require_owner(caller, dep, dep_id)
        dep.locked = locked
        audit.record(s, caller, "deployment-lock" if locked else "deployment-unlock", dep.id)
        record_event(s, dep.id, "info", "locked against deletion" if locked else "unlocked")

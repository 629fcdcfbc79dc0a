"""One attempt of a deployment on one site: realize its node instances, then its outputs.

``run_attempt(ctx, site) -> AttemptResult`` is the unit the federation's loop
calls once per site. Each database change is its own short transaction; no
transaction is held across a driver call. Resource states and physical ids
are stored as they change, so a job taken over after a crash resumes from
them: a resource already CONFIGURED is kept, and ``Driver.create`` finds again
what a dead worker had started.

Timeouts are wall-clock instants derived from stored timestamps (the
deployment's creation for ``timeoutMins``, the attempt's start for
``providerTimeoutMins``), so a takeover does not restart the clock.

A node made but not ready yet parks the job (``cumulo.engine.lifecycle.waiting``): the
attempt stays RUNNING, the resource CONFIGURING with its physical id, and the
job's next run resumes here, looks at the node again without remaking it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cumulo.drivers.base import Driver
from cumulo.engine.accounts import account_name
from cumulo.engine.deadlines import Deadline
from cumulo.engine.events import record
from cumulo.engine.jobs.queue import Parked
from cumulo.engine.lifecycle.attempt_context import (
    CANCELLED,
    FAILED,
    SUCCEEDED,
    AttemptContext,
    AttemptResult,
    Cancelled,
    NodeFailed,
    resource_row,
)
from cumulo.engine.lifecycle.attempt_open import open_attempt
from cumulo.engine.lifecycle.configure_step import request_keys
from cumulo.engine.lifecycle.node_requests import node_request
from cumulo.engine.lifecycle.node_step import configure_one, realize_one, resume_point
from cumulo.engine.lifecycle.site_outage import site_back
from cumulo.engine.outputs import evaluate
from cumulo.engine.states import (
    NodeState,
    set_resource_state,
)
from cumulo.errors import CumuloError, DriverTimeout, SiteError
from cumulo.store.db import utcnow
from cumulo.store.models import Attempt, Resource, Site

log = logging.getLogger(__name__)


def run_attempt(ctx: AttemptContext, site: Site, end_success: bool = True) -> AttemptResult:
    """Try the deployment on ``site``; on failure clean up (unless kept) and say why.

    With ``end_success`` False a success leaves the attempt RUNNING: the caller ends
    it (``end_attempt``) in the transaction that settles the deployment.
    """
    opened = open_attempt(ctx, site.name)
    if opened is None:
        return AttemptResult(site.name, CANCELLED)
    attempt_id, started_at = opened
    deadline = Deadline.earliest(
        (ctx.deadline, "the deployment's timeout (timeoutMins)"),
        (started_at + ctx.provider_timeout, f"the timeout on site {site.name} "
         "(providerTimeoutMins)"),
    )  # fmt: skip
    try:
        driver = ctx.engine.driver(site)
        _ping(driver, site)
        attributes = _realize_all(ctx, driver, site, deadline)
        outputs = evaluate(ctx.plan, _plan_attributes(ctx, attributes))
    except Cancelled:
        log.info("deployment %s: job stopped (cancelled or taken over)", ctx.dep_id)
        return AttemptResult(site.name, CANCELLED)
    except NodeFailed as exc:
        return _fail_attempt(ctx, attempt_id, site, (exc.node, exc.index), str(exc))
    except CumuloError as exc:
        return _fail_attempt(ctx, attempt_id, site, None, str(exc))
    if end_success:
        with ctx.engine.db.session() as s:
            end_attempt(s, attempt_id, SUCCEEDED)
        return AttemptResult(site.name, SUCCEEDED, outputs)
    return AttemptResult(site.name, SUCCEEDED, outputs, attempt_id=attempt_id)


def _ping(driver: Driver, site: Site) -> None:
    try:
        driver.ping()
    except CumuloError as exc:
        raise CumuloError(f"site {site.name} is unreachable: {exc}") from exc


def _realize_all(
    ctx: AttemptContext, driver: Driver, site: Site, deadline: Deadline
) -> dict[tuple[str, int], dict[str, Any]]:
    """Each instance in plan order; the stored (node, index) -> runtime attributes."""
    keys = request_keys(ctx.engine, ctx.dep_id, ctx.plan)
    ssh_user = ctx.ssh_user or account_name(ctx.engine, ctx.dep_id)
    attributes: dict[tuple[str, int], dict[str, Any]] = {}
    physical: dict[tuple[str, int], str] = {}
    for inst in ctx.plan.instances:  # dependency order: hosts before what they host
        index = ctx.stored_index(inst)
        key = (inst.node, index)
        host_id = None
        if inst.host:
            host_id = physical.get((inst.host, index)) or physical.get((inst.host, 0))
        req = node_request(
            ctx.dep_id, inst, host_physical_id=host_id,
            ssh_user=ssh_user, ssh_public_keys=keys,
            physical_ids=physical,
        )  # fmt: skip
        if index != inst.index:
            req = replace(req, index=index)
        done, before = resume_point(ctx, key)
        if done is not None:
            physical[key], attributes[key] = done
            continue
        try:
            while True:
                try:
                    deadline.check(f"node {inst.node}[{index}] was not started")
                    if driver.realizes(req):
                        pid, attrs = realize_one(ctx, driver, req, deadline, before)
                    else:
                        pid, attrs = None, configure_one(ctx, inst, req, attributes, site,
                                                         deadline)  # fmt: skip
                    break
                except SiteError as exc:
                    if isinstance(exc, DriverTimeout) or not site_back(ctx, driver, site, deadline):
                        raise
                    before = None  # the engine restarted: the node's steps are idempotent
        except (Cancelled, NodeFailed, DBAPIError, Parked):
            raise  # a database outage is the worker's to wait out, not the node's failure
        except CumuloError as exc:
            raise NodeFailed(inst.node, index, str(exc)) from exc
        except Exception as exc:  # a driver bug must still fail the node, not the worker
            log.exception("driver error on %s %s[%s]", ctx.dep_id, inst.node, index)
            raise NodeFailed(inst.node, index, f"internal driver error: {exc!r}") from exc
        if pid:
            physical[key] = pid
        attributes[key] = attrs
    return attributes


def _plan_attributes(
    ctx: AttemptContext, stored: dict[tuple[str, int], dict[str, Any]]
) -> dict[tuple[str, int], dict[str, Any]]:
    """Attributes keyed by plan index (outputs are evaluated over the plan)."""
    return {
        (inst.node, inst.index): stored.get((inst.node, ctx.stored_index(inst)), {})
        for inst in ctx.plan.instances
    }


_ATTEMPTS = Attempt.__table__
_END_ATTEMPT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
    .values(status=bindparam("outcome"), error=bindparam("why"), ended_at=bindparam("at"))
)


def end_attempt(s: Session, attempt_id: int, outcome: str, error: str | None = None) -> None:
    """The attempt ended with ``outcome``, in the caller's transaction."""
    params = {"attempt_id": attempt_id, "outcome": outcome, "why": error, "at": utcnow()}
    s.execute(_END_ATTEMPT, params)


def _fail_attempt(
    ctx: AttemptContext,
    attempt_id: int,
    site: Site,
    failed: tuple[str, int] | None,
    error: str,
) -> AttemptResult:
    """Record the failure; clean the attempt's resources up unless they are to be kept."""
    db = ctx.engine.db
    with db.session() as s:
        if failed is not None:
            set_resource_state(s, resource_row(s, ctx.dep_id, failed), NodeState.ERROR)
        record(s, ctx.dep_id, "error", f"attempt failed on site {site.name}: {error}")
    outputs: dict[str, Any] = {}
    if ctx.keep_on_failure:
        outputs = _kept_outputs(ctx)
        cleanup = "the resources of the failed attempt are kept (keepLastAttempt)"
    elif ctx.clean_on_failure:
        cleanup = _clean_up(ctx, attempt_id, site)
    else:
        cleanup = None
    if cleanup is not None and cleanup.startswith("cleanup of the failed attempt failed"):
        error += f"; {cleanup}"
    with db.session() as s:
        if cleanup is not None:
            record(s, ctx.dep_id, "info", cleanup)
        end_attempt(s, attempt_id, FAILED, error)
    return AttemptResult(site.name, FAILED, outputs, error)


def _clean_up(ctx: AttemptContext, attempt_id: int, site: Site) -> str:
    try:
        removed = ctx.engine.driver(site).delete_deployment(ctx.dep_id)
        cleanup = f"removed {len(removed)} resource(s) of the failed attempt"
    except Exception as exc:  # the deployment must fail cleanly even if cleanup cannot run
        return f"cleanup of the failed attempt failed: {exc}"
    with ctx.engine.db.session() as s:
        for res in s.scalars(select(Resource).where(Resource.attempt_id == attempt_id)):
            if res.state != NodeState.ERROR:
                set_resource_state(s, res, NodeState.ERROR)
            res.physical_id = None
    return cleanup


def _kept_outputs(ctx: AttemptContext) -> dict[str, Any]:
    """The outputs over what the failed attempt made (addresses, credentials), for debugging."""
    with ctx.engine.db.session() as s:
        stored = {
            (r.node_name, r.node_index): dict(r.attributes or {})
            for r in s.scalars(select(Resource).where(Resource.deployment_id == ctx.dep_id))
        }
    try:
        return evaluate(ctx.plan, _plan_attributes(ctx, stored))
    except Exception:  # outputs of a half-made deployment are a help, never a new failure
        log.warning("deployment %s: outputs of the kept attempt", ctx.dep_id, exc_info=True)
        return {}

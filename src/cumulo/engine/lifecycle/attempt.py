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

The node instances advance together, each once what it needs is done
(``cumulo.engine.lifecycle.frontier``). A node made but not ready yet does not
hold the others; when none can advance, the job parks
(``cumulo.engine.lifecycle.waiting``): the attempt stays RUNNING, the resources
CONFIGURING with their physical ids, and the job's next run resumes here, looks
at each waiting node again without remaking it.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import bindparam, select, update

from cumulo.drivers.base import Driver
from cumulo.engine.deadlines import Deadline
from cumulo.engine.events import record
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
from cumulo.engine.lifecycle.frontier import realize_all
from cumulo.engine.outputs import evaluate
from cumulo.engine.states import (
    NodeState,
    set_resource_state,
)
from cumulo.errors import CumuloError
from cumulo.store.db import utcnow
from cumulo.store.direct import Tx
from cumulo.store.models import ATTEMPTS, Resource, Site

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
        driver = ctx.engine.job_driver(site)
        _ping(driver, site)
        attributes = realize_all(ctx, driver, site, deadline)
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


def _plan_attributes(
    ctx: AttemptContext, stored: dict[tuple[str, int], dict[str, Any]]
) -> dict[tuple[str, int], dict[str, Any]]:
    """Attributes keyed by plan index (outputs are evaluated over the plan)."""
    return {
        (inst.node, inst.index): stored.get((inst.node, ctx.stored_index(inst)), {})
        for inst in ctx.plan.instances
    }


_END_ATTEMPT = (
    update(ATTEMPTS)
    .where(ATTEMPTS.c.id == bindparam("attempt_id"))
    .values(status=bindparam("outcome"), error=bindparam("why"), ended_at=bindparam("at"))
)


def end_attempt(s: Tx, attempt_id: int, outcome: str, error: str | None = None) -> None:
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
        removed = ctx.engine.job_driver(site).delete_deployment(ctx.dep_id)
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

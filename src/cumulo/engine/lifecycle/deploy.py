"""The deploy job: plan a deployment, rank the sites, try them in order, settle its status.

One attempt on one site is ``cumulo.engine.lifecycle.attempt.run_attempt``; this module
builds the job's ``AttemptContext`` (timeouts, keepLastAttempt), asks the
scheduler (``cumulo.engine.sites.scheduling``) for the ranked sites and tries them in
order, at most ``maxProvidersRetry`` (``keep_on_failure`` only on the last
one), then hands every ``AttemptResult`` to ``finish_create``.

A job resumed after it parked (or taken over) first carries on the attempt
still RUNNING, without ranking the sites again; only if that attempt fails
are the remaining sites ranked.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cumulo.engine.jobs.queue import ClaimedJob
from cumulo.engine.lifecycle.attempt import run_attempt
from cumulo.engine.lifecycle.attempt_context import CANCELLED, AttemptContext, AttemptResult
from cumulo.engine.lifecycle.placement_loop import Tries, load_site, plan_tries
from cumulo.engine.runtime import Engine
from cumulo.engine.sensitive_inputs import unseal, withhold_secrets
from cumulo.engine.states import FAILED_OF, Status, set_deployment_status
from cumulo.errors import CumuloError
from cumulo.store.db import utcnow
from cumulo.store.models import Attempt, Deployment, Job

log = logging.getLogger(__name__)


def run_deploy(engine: Engine, job: ClaimedJob, lost: threading.Event) -> None:
    ctx = prepare(engine, job, lost, Status.CREATE_IN_PROGRESS)
    if ctx is None:
        return
    site = load_site(engine, ctx.running_site) if ctx.running_site else None
    resumed = run_attempt(ctx, site) if site is not None else None
    if resumed is not None and (resumed.ok or resumed.outcome == CANCELLED):
        finish_create(ctx, [resumed])
        return
    try:
        tries: Tries = plan_tries(ctx)
    except CumuloError as exc:
        fail(engine, ctx.dep_id, Status.CREATE_IN_PROGRESS, Status.CREATE_FAILED, str(exc))
        return
    results, seconds = list(tries.earlier), list(tries.earlier_seconds)
    if resumed is not None and results:
        results[-1] = resumed  # the stored one, with the outputs a kept attempt reached
    keep = ctx.keep_last_attempt
    for i, name in enumerate(tries.sites):
        site = load_site(engine, name)
        if site is None:  # deleted from the registry since it was ranked
            continue
        ctx.last_try = i == len(tries.sites) - 1
        ctx.keep_on_failure = keep and ctx.last_try
        start = time.monotonic()
        result = run_attempt(ctx, site)
        results.append(result)
        seconds.append(time.monotonic() - start)
        if result.ok or result.outcome == CANCELLED:
            break
    finish_create(ctx, results, seconds)


def prepare(
    engine: Engine, job: ClaimedJob, lost: threading.Event, in_progress: Status
) -> AttemptContext | None:
    """The job's context, or None if the deployment is gone, elsewhere, or cannot be planned."""
    settings, dep_id = engine.settings, job.deployment_id
    with engine.db.reader() as s:  # reads only: no writer lock
        dep = s.get(Deployment, dep_id)
        if dep is None or dep.status != in_progress:
            return None  # deleted or cancelled before we started
        template, params = dep.template, unseal(engine, dep)
        overall = timedelta(minutes=dep.timeout_mins or settings.default_timeout_mins)
        # The overall clock runs from the request that made the job (a takeover keeps it).
        queued = s.scalar(select(Job.created_at).where(Job.id == job.id)) or utcnow()
        deadline = queued + overall
        provider = timedelta(
            minutes=dep.provider_timeout_mins or settings.default_provider_timeout_mins
        )
        # Read here, in the same transaction, what the job needs later (fewer transactions).
        running, keep = _running_site(s, dep_id), bool(dep.keep_last_attempt)
    try:
        plan = engine.plan(template, params)
    except CumuloError as exc:
        reason = f"the template can no longer be planned: {exc}"
        fail(engine, dep_id, in_progress, FAILED_OF[in_progress], reason)
        return None
    ctx = AttemptContext(engine, dep_id, plan, lost, in_progress, deadline, provider)
    ctx.running_site, ctx.keep_last_attempt = running, keep
    return ctx


def _running_site(s: Session, dep_id: str) -> str | None:
    """The site of the deployment's attempt still RUNNING (a parked or dead job's), if any."""
    return s.scalar(
        select(Attempt.site_name)
        .where(Attempt.deployment_id == dep_id, Attempt.status == "RUNNING")
        .order_by(Attempt.id.desc())
        .limit(1)
    )


def finish_create(
    ctx: AttemptContext, results: list[AttemptResult], seconds: list[float] | None = None
) -> None:
    """CREATE_COMPLETE with the outputs, or CREATE_FAILED naming every attempt's error.

    ``seconds[i]`` is how long ``results[i]`` took, shown beside its error.
    """
    if not results or results[-1].outcome == "CANCELLED":
        return
    last = results[-1]
    if last.ok:
        settle(ctx.engine, ctx.dep_id, ctx.in_progress, Status.CREATE_COMPLETE, None, last.outputs)
        return
    took = seconds or []
    errors = [
        (r, f" ({took[i]:.1f} s)" if i < len(took) else "")
        for i, r in enumerate(results)
        if r.error
    ]
    if len(errors) == 1:
        reason = f"Error on site {errors[0][0].site}: {errors[0][0].error}"
    else:
        listed = "; ".join(f"site {r.site}: {r.error}{d}" for r, d in errors)
        reason = f"Retries on cloud providers exhausted. Error list is: {listed}"
    outputs = last.outputs if ctx.keep_on_failure else None
    settle(ctx.engine, ctx.dep_id, ctx.in_progress, Status.CREATE_FAILED, reason, outputs)


def settle(
    engine: Engine,
    dep_id: str,
    expected: Status,
    new: Status,
    reason: str | None,
    outputs: dict | None = None,
) -> None:
    """Move the deployment from ``expected`` to its final status ``new`` (no-op if it moved on)."""
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None or dep.status != expected:
            return
        # No sensitive input's value is stored in clear, nor answered (outputs, reason).
        outputs, reason = withhold_secrets(engine, dep, outputs, reason)
        if outputs is not None:
            dep.outputs = outputs
        dep.task = "NONE"
        set_deployment_status(s, dep, new, reason)


def fail(engine: Engine, dep_id: str, expected: Status, new: Status, reason: str) -> None:
    settle(engine, dep_id, expected, new, reason)

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

from sqlalchemy import bindparam, select

from cumulo.engine.jobs.queue import ClaimedJob, finish_in
from cumulo.engine.lifecycle.attempt import end_attempt, run_attempt
from cumulo.engine.lifecycle.attempt_context import (
    CANCELLED,
    SUCCEEDED,
    AttemptContext,
    AttemptResult,
)
from cumulo.engine.lifecycle.placement_loop import Tries, attempts_of, load_site, plan_tries
from cumulo.engine.runtime import Engine
from cumulo.engine.sensitive_inputs import unseal, withhold_secrets
from cumulo.engine.states import FAILED_OF, Status, write_deployment_status
from cumulo.errors import CumuloError
from cumulo.store.db import utcnow
from cumulo.store.models import DEPLOYMENTS, Job

log = logging.getLogger(__name__)

# What a job reads of its deployment (built once; no ORM object for a read).
_PREPARE = select(*DEPLOYMENTS.c[
    "id", "status", "template", "parameters", "timeout_mins", "provider_timeout_mins",
    "keep_last_attempt", "user_group", "requested_site", "max_providers_retry", "waiting_for",
    "waiting_since",
]).where(DEPLOYMENTS.c.id == bindparam("dep_id"))  # fmt: skip
# What settling needs: the status, what hides secrets, the callback.
_SETTLING = select(
    *DEPLOYMENTS.c["id", "status", "version", "callback", "template", "parameters"]
).where(DEPLOYMENTS.c.id == bindparam("dep_id"))


def run_deploy(engine: Engine, job: ClaimedJob, lost: threading.Event) -> bool:
    """Returns True once the job was marked done with the deployment's final status."""
    ctx = prepare(engine, job, lost, Status.CREATE_IN_PROGRESS)
    if ctx is None:
        return False
    site = load_site(engine, ctx.running_site) if ctx.running_site else None
    resumed = run_attempt(ctx, site, end_success=False) if site is not None else None
    if resumed is not None and (resumed.ok or resumed.outcome == CANCELLED):
        return finish_create(ctx, [resumed], job=job)
    if resumed is not None:
        ctx.history = None  # the resumed attempt failed: read the attempts again
    try:
        tries: Tries = plan_tries(ctx)
    except CumuloError as exc:
        return settle(ctx.engine, ctx.dep_id, ctx.in_progress, Status.CREATE_FAILED, str(exc),
                      ctx=ctx, job=job)  # fmt: skip
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
        result = run_attempt(ctx, site, end_success=False)
        results.append(result)
        seconds.append(time.monotonic() - start)
        if result.ok or result.outcome == CANCELLED:
            break
    return finish_create(ctx, results, seconds, job=job)


def prepare(
    engine: Engine, job: ClaimedJob, lost: threading.Event, in_progress: Status
) -> AttemptContext | None:
    """The job's context, or None if the deployment is gone, elsewhere, or cannot be planned."""
    settings, dep_id = engine.settings, job.deployment_id
    with engine.db.direct_reader() as s:  # reads only: no writer lock
        dep = s.execute(_PREPARE, {"dep_id": dep_id}).first()
        if dep is None or dep.status != in_progress:
            return None  # deleted or cancelled before we started
        template, params = dep.template, unseal(engine, dep)
        overall = timedelta(minutes=dep.timeout_mins or settings.default_timeout_mins)
        # The overall clock runs from the request that made the job (a takeover keeps it).
        queued = job.created_at or s.scalar(select(Job.created_at).where(Job.id == job.id))
        deadline = (queued or utcnow()) + overall
        provider = timedelta(
            minutes=dep.provider_timeout_mins or settings.default_provider_timeout_mins
        )
        # Read here, in the same transaction, what the job needs later (fewer transactions).
        history = attempts_of(s, dep_id)
        keep = bool(dep.keep_last_attempt)
        placement = (dep.user_group, dep.requested_site, dep.max_providers_retry)
        waiting = (dep.waiting_for, dep.waiting_since)
    try:
        plan = engine.plan(template, params)
    except CumuloError as exc:
        reason = f"the template can no longer be planned: {exc}"
        fail(engine, dep_id, in_progress, FAILED_OF[in_progress], reason)
        return None
    ctx = AttemptContext(engine, dep_id, plan, lost, in_progress, deadline, provider)
    ctx.keep_last_attempt, ctx.placement, ctx.history = keep, placement, history
    ctx.waiting = waiting
    # The site of the attempt still RUNNING (a parked or dead job's), if any.
    ctx.running_site = next((a.site for a in reversed(history) if a.status == "RUNNING"), None)
    return ctx


def finish_create(
    ctx: AttemptContext,
    results: list[AttemptResult],
    seconds: list[float] | None = None,
    job: ClaimedJob | None = None,
) -> bool:
    """CREATE_COMPLETE with the outputs, or CREATE_FAILED naming every attempt's error;
    True if ``job`` was marked done with it.

    ``seconds[i]`` is how long ``results[i]`` took, shown beside its error.
    """
    if not results or results[-1].outcome == "CANCELLED":
        return False
    last = results[-1]
    engine, dep_id, expected = ctx.engine, ctx.dep_id, ctx.in_progress
    if last.ok:
        return settle(engine, dep_id, expected, Status.CREATE_COMPLETE, None, last.outputs,
                      ctx=ctx, job=job, attempt_id=last.attempt_id)  # fmt: skip
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
    return settle(engine, dep_id, expected, Status.CREATE_FAILED, reason, outputs,
                  ctx=ctx, job=job)  # fmt: skip


def settle(
    engine: Engine,
    dep_id: str,
    expected: Status,
    new: Status,
    reason: str | None,
    outputs: dict | None = None,
    *,
    ctx: AttemptContext | None = None,
    job: ClaimedJob | None = None,
    attempt_id: int | None = None,
) -> bool:
    """Move the deployment from ``expected`` to its final status ``new`` (no-op if it moved on).

    In the same transaction: the writes ``ctx`` still carries, the end of the
    successful attempt ``attempt_id``, and ``job`` marked done (True if it was), so a
    job ends in one transaction with the work it completes.
    """
    with engine.db.direct() as s:
        if attempt_id is not None:
            end_attempt(s, attempt_id, SUCCEEDED)
        done = job is not None and job.owner is not None and finish_in(s, job)
        dep = s.execute(_SETTLING, {"dep_id": dep_id}).first()
        if dep is None or dep.status != expected:
            return done
        values = {**(ctx.take_pending(s) if ctx is not None else {}), "task": "NONE"}
        # No sensitive input's value is stored in clear, nor answered (outputs, reason).
        outputs, reason = withhold_secrets(engine, dep, outputs, reason)  # type: ignore[arg-type]
        if outputs is not None:
            values["outputs"] = outputs
        write_deployment_status(s, dep, new, reason, **values)  # type: ignore[arg-type]
        return done


def fail(engine: Engine, dep_id: str, expected: Status, new: Status, reason: str) -> None:
    settle(engine, dep_id, expected, new, reason)

"""Which sites a deploy job tries, in order: the scheduler's ranking, the job's history.

The decision is recorded on the deployment (``GET /deployments/{id}/scheduling``)
with an event. After a takeover, the sites that already failed are not tried
again (their errors stay in the final error) and a running attempt resumes
first. At most ``maxProvidersRetry`` sites are tried in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

from cumulo.engine.lifecycle.attempt_context import (
    FAILED,
    AttemptContext,
    AttemptResult,
    PastAttempt,
)
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.scheduling import decide, decision_values, site_row
from cumulo.errors import CumuloError
from cumulo.federation import Decision
from cumulo.store.direct import Tx
from cumulo.store.models import ATTEMPTS, Site

# Sites named in the log's scheduling line (the full ranking is in the explanation).
SHOWN_IN_LOG = 10


@dataclass
class Tries:
    sites: list[str]  # to try now, in order (loaded one by one: there may be a thousand)
    earlier: list[AttemptResult] = field(default_factory=list)  # failed before a takeover
    earlier_seconds: list[float] = field(default_factory=list)


def plan_tries(ctx: AttemptContext) -> Tries:
    """Rank the sites for the deployment and say which to try; ``CumuloError`` if none.

    The decision and its log line are written with the job's next transaction on
    the deployment (``ctx.pending``: the attempt's opening, or the final status).
    """
    engine, dep_id = ctx.engine, ctx.dep_id
    if ctx.history is None:
        with engine.db.direct_reader() as s:
            ctx.history = attempts_of(s, dep_id)
    group, requested, max_retry = ctx.placement
    failed = [a for a in ctx.history if a.status == FAILED]
    running = next((a.site for a in ctx.history if a.status == "RUNNING"), None)
    # A deployment never placed (no attempt yet) holds nothing to take off its site's usage.
    holder = dep_id if ctx.history else None
    decision, needs = decide(engine, ctx.plan, group, requested, exclude_id=holder)
    failed_sites = {a.site for a in failed}
    order = [name for name in decision.ranked if name not in failed_sites]
    if running and running not in failed_sites:
        order = [running] + [n for n in order if n != running]
    if max_retry:
        order = order[: max(0, max_retry - len(failed))]
    summary = _summary(order, decision)

    ctx.pending.update(decision_values(decision, needs))
    ctx.pending_events.append(("info", summary))
    if not order and not failed:
        raise CumuloError(decision.problem or "No cloud provider meets the deployment requirements")
    earlier = [AttemptResult(a.site, FAILED, {}, a.error or "failed") for a in failed]
    return Tries(order, earlier, [a.seconds for a in failed])


# Built once (every job reads it): building it cost more than running it.
_ATTEMPTS_OF = (
    select(*ATTEMPTS.c["site_name", "status", "error", "started_at", "ended_at"])
    .where(ATTEMPTS.c.deployment_id == bindparam("dep_id"))
    .order_by(ATTEMPTS.c.number)
)


def attempts_of(s: Tx, dep_id: str) -> list[PastAttempt]:
    """The deployment's attempts so far, oldest first."""
    return [
        PastAttempt(site, status, error, (ended - started).total_seconds() if ended else 0.0)
        for site, status, error, started, ended in s.execute(_ATTEMPTS_OF, {"dep_id": dep_id})
    ]


def load_site(engine: Engine, name: str) -> Site | None:
    """The site's row, detached, or None if it is gone."""
    return site_row(engine, name)


def _summary(order: list[str], decision: Decision) -> str:
    if not order:
        return f"scheduling: {decision.problem or 'no site left to try'}"
    shown = ", ".join(order[:SHOWN_IN_LOG]) + (", ..." if len(order) > SHOWN_IN_LOG else "")
    return (
        f"scheduling: {len(decision.ranked)} of {len(decision.candidates)} site(s) usable; "
        f"trying {shown} in this order"
    )

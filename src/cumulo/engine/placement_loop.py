"""Which sites a deploy job tries, in order: the scheduler's ranking, the job's history.

The decision is recorded on the deployment (``GET /deployments/{id}/scheduling``)
with an event. After a takeover, the sites that already failed are not tried
again (their errors stay in the final error) and a running attempt resumes
first. At most ``maxProvidersRetry`` sites are tried in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from cumulo.engine.attempt import FAILED, AttemptContext, AttemptResult
from cumulo.engine.events import record
from cumulo.engine.scheduling import decide, record_decision
from cumulo.errors import CumuloError
from cumulo.federation import Decision
from cumulo.store.models import Attempt, Deployment, Site


@dataclass
class Tries:
    sites: list[Site]  # to try now, in order
    earlier: list[AttemptResult] = field(default_factory=list)  # failed before a takeover
    earlier_seconds: list[float] = field(default_factory=list)


def plan_tries(ctx: AttemptContext) -> Tries:
    """Rank the sites for the deployment and say which to try; ``CumuloError`` if none."""
    engine, dep_id = ctx.engine, ctx.dep_id
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None:
            return Tries([])
        group, requested, max_retry = dep.user_group, dep.requested_site, dep.max_providers_retry
        prior = s.scalars(
            select(Attempt).where(Attempt.deployment_id == dep_id).order_by(Attempt.number)
        ).all()
        failed = [a for a in prior if a.status == FAILED]
        running = next((a.site_name for a in prior if a.status == "RUNNING"), None)
    decision, needs = decide(engine, ctx.plan, group, requested, exclude_id=dep_id)
    failed_sites = {a.site_name for a in failed}
    order = [name for name in decision.ranked if name not in failed_sites]
    if running and running not in failed_sites:
        order = [running] + [n for n in order if n != running]
    if max_retry:
        order = order[: max(0, max_retry - len(failed))]
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is not None:
            record_decision(dep, decision, needs)
            record(s, dep_id, "info", _summary(order, decision))
        rows = {x.name: x for x in s.scalars(select(Site).where(Site.name.in_(order)))}
        for row in rows.values():
            s.expunge(row)
    if not order and not failed:
        raise CumuloError(decision.problem or "No cloud provider meets the deployment requirements")
    earlier = [AttemptResult(a.site_name, FAILED, {}, a.error or "failed") for a in failed]
    seconds = [(a.ended_at - a.started_at).total_seconds() if a.ended_at else 0.0 for a in failed]
    return Tries([rows[n] for n in order if n in rows], earlier, seconds)


def _summary(order: list[str], decision: Decision) -> str:
    if not order:
        return f"scheduling: {decision.problem or 'no site left to try'}"
    return (
        f"scheduling: {len(decision.ranked)} of {len(decision.candidates)} site(s) usable; "
        f"trying {', '.join(order)} in this order"
    )

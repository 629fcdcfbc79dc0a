"""Choosing the sites a deployment may go to, best first, and saying why.

``schedule`` is a pure function: the same ``Federation`` and request give the
same ``Decision``. Every site the deployment's group may use gets a verdict:
usable (with its rank and score) or rejected (with the reason).

Filters, in order: SLA (the group's active SLAs; deployments without a group
use the public sites), site status, health (the last probe), capability (full
virtual machines for cluster software, a flavor for each node's num_cpus /
mem_size / disk_size / num_gpus, an image for its OS distribution and version,
public IP, volumes, the container images its nodes run: pulled or held by the
site, an S3 service for its buckets), quota left (the SLA's limits against the
group's usage, the site's quotas against everyone's).
Rank: SLA priority (higher first), active before limited, then the score.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cumulo.federation.judge_memo import (
    NO_GROUP_USAGE,
    JudgeMemo,
    Passed,
    judge_all,
)
from cumulo.federation.model import (
    UNLIMITED,
    Federation,
    Needs,
    Placement,
    SiteStats,
    SiteStatus,
    SiteView,
    Sla,
    Usage,
    Verdict,
)
from cumulo.federation.screening import Screened, screen
from cumulo.federation.screening import fitting_flavor as fitting_flavor  # its older home

# Weights of the score's parts (each part in [0, 1]).
W_SUCCESS, W_LATENCY, W_FREE = 0.5, 0.3, 0.2
# A create taking this long halves the latency part.
LATENCY_HALF_SECONDS = 60.0
NO_STATS = SiteStats()
_LIMITED = SiteStatus.LIMITED.value


@dataclass(slots=True)
class Decision:
    """The verdicts, usable sites first in rank order; ``problem`` when none is usable.

    ``ranked``: the sites to try, in order (a manual choice: that one site, if usable).
    Verdicts may be shared between decisions (``JudgeMemo``): never change one.
    """

    group: str | None
    placement: Placement
    candidates: list[Verdict]
    problem: str | None = None
    ranked: list[str] = field(default_factory=list)

    def verdict(self, site: str) -> Verdict | None:
        return next((v for v in self.candidates if v.site == site), None)

    def to_json(self, limit: int | None = None) -> dict[str, Any]:
        """The explanation; with ``limit``, at most that many verdicts of each kind."""
        # Usable verdicts come first: the boundary is found without reading every verdict.
        split = bisect_left(self.candidates, True, key=_rejected)
        usable, rejected = self.candidates[:split], self.candidates[split:]
        shown = usable[:limit] + rejected[:limit] if limit is not None else usable + rejected
        # Shown usable verdicts are the first ones ranked (automatic) or the one chosen.
        rank = {site: i for i, site in enumerate(self.ranked[: len(usable[:limit])], 1)}
        out: dict[str, Any] = {
            "group": self.group,
            "placement": "manual" if self.placement.manual else "automatic",
            "ranked": self.ranked[:limit] if limit is not None else self.ranked,
            "considered": len(self.candidates),
            "usable": len(usable),
            "candidates": [v.to_json(rank.get(v.site)) for v in shown],
        }
        if self.placement.sla_id:
            out["slaId"] = self.placement.sla_id
        if self.placement.site:
            out["site"] = self.placement.site
        if len(shown) < len(self.candidates):
            out["omitted"] = len(self.candidates) - len(shown)
        if self.problem:
            out["problem"] = self.problem
        return out


def schedule(
    fed: Federation,
    needs: Needs,
    group: str | None,
    today: date,
    placement: Placement = Placement(),
    screened: Screened | None = None,
    memo: JudgeMemo | None = None,
) -> Decision:
    """Filter and rank the sites ``group`` may use for ``needs`` (see the module's doc).

    ``screened``: ``screen``'s answer for the same registry and request, when the
    caller kept it (it is the same as computed here); only usage is judged then.
    ``memo``: verdicts of earlier decisions of the same request, reused for the sites
    whose usage has not changed.
    """
    if screened is None:
        screened = screen(fed, needs, group, today, placement)
    asked, stats = needs.usage, fed.stats

    def judge(passed: Passed, group_used: Usage, site_used: Usage) -> Verdict:
        site, sla, flavors = passed
        site_stats = stats.get(site.name, NO_STATS)
        return _judge(site, sla, site_stats, group_used, site_used, asked, flavors)

    if memo is not None:
        usable, rejected = memo.ranked(screened, fed, group, judge)
    else:
        group_usage = fed.group_usage if group else NO_GROUP_USAGE
        usable, rejected = judge_all(screened, group_usage, fed.site_usage, group, judge)
    problem = screened.problem
    decision = Decision(group, placement, usable + rejected, problem, [v.site for v in usable])
    if problem is None and placement.site:
        decision.problem = _manual_problem(decision, placement.site)
    elif problem is None and not usable:
        decision.problem = no_site_message(decision)
    return decision


def _rejected(v: Verdict) -> bool:
    return not v.usable


def no_site_message(decision: Decision, limit: int = 10) -> str:
    """INDIGO's message, followed by each site's reason."""
    base = "No cloud provider meets the deployment requirements"
    if not decision.candidates:
        who = f"group {decision.group}" if decision.group else "deployments without a group"
        what = "an active SLA" if decision.group else "a public site"
        return f"{base}: no site is open to {who} (it needs {what})"
    shown = "; ".join(f"{v.site}: {v.reason}" for v in decision.candidates[:limit])
    more = len(decision.candidates) - limit
    return f"{base}: {shown}" + (f"; and {more} more" if more > 0 else "")


def _manual_problem(decision: Decision, site: str) -> str | None:
    """Manual placement: that site only, no fallback elsewhere; why it cannot be, or None."""
    decision.ranked = []
    verdict = decision.verdict(site)
    if verdict is None:
        open_to = ", ".join(v.site for v in decision.candidates[:20]) or "none"
        who = f"group {decision.group}" if decision.group else "deployments without a group"
        return f"site {site} is not open to {who} (open: {open_to})"
    if not verdict.usable:
        return f"the chosen site {site} cannot take this deployment: {verdict.reason}"
    decision.ranked = [site]
    return None


def _judge(
    site: SiteView,
    sla: Sla | None,
    stats: SiteStats,
    group_used: Usage,
    site_used: Usage,
    asked: Usage,
    flavors: Mapping[str, str],
) -> Verdict:
    """The verdict of a site past the screening: its usage; called for every such site."""
    name = site.name
    sla_id = sla.id if sla is not None else None
    limits = sla.limits if sla is not None else UNLIMITED
    over = limits.exceeded(group_used, asked)
    if over:
        return Verdict(name, False, f"SLA {sla_id} limit reached: {over}", sla_id)
    quotas = site.quotas
    over = quotas.exceeded(site_used, asked)
    if over:
        return Verdict(name, False, f"site quota reached: {over}", sla_id)
    free = min(limits.free_fraction(group_used, asked), quotas.free_fraction(site_used, asked))
    total = stats.successes + stats.failures
    success = (stats.successes + 1) / (total + 2)  # Laplace: no data counts as 50 %
    mean = stats.mean_create_seconds
    latency = 0.5 if mean is None else LATENCY_HALF_SECONDS / (LATENCY_HALF_SECONDS + mean)
    priority, limited = sla.priority if sla is not None else 0, site.status == _LIMITED
    score = W_SUCCESS * success + W_LATENCY * latency + W_FREE * free
    return Verdict(
        name,
        True,
        "",
        sla_id,
        priority,
        limited,
        score,
        stats.successes / total if total else None,
        mean,
        free,
        dict(flavors),
        (-priority, limited, -score, name),  # rank: SLA priority, active first, score
    )

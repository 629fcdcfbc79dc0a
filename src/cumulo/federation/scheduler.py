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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cumulo.federation.model import (
    NO_USAGE,
    UNLIMITED,
    Federation,
    Needs,
    Placement,
    SiteStats,
    SiteStatus,
    SiteView,
    Sla,
    Usage,
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
class Verdict:
    """One site's verdict: ``reason`` says why it was rejected (empty when usable)."""

    site: str
    usable: bool
    reason: str = ""
    sla_id: str | None = None
    priority: int = 0
    limited: bool = False
    score: float = 0.0
    success_rate: float | None = None
    create_seconds: float | None = None
    free: float = 1.0
    flavors: dict[str, str] = field(default_factory=dict)  # node -> flavor name
    # The rank order of a usable verdict (see ``schedule``); not part of its meaning.
    key: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    def explain(self) -> str:
        if not self.usable:
            return self.reason
        parts = [f"SLA {self.sla_id}" if self.sla_id else "public site"]
        parts.append(f"priority {self.priority}")
        if self.limited:
            parts.append("status limited")
        measured = (
            "no attempts yet"
            if self.success_rate is None
            else (f"{self.success_rate:.0%} of attempts succeeded")
        )
        parts.append(measured)
        if self.create_seconds is not None:
            parts.append(f"creates in {self.create_seconds:.1f} s")
        parts.append(f"{self.free:.0%} of its quota free")
        return f"usable: {', '.join(parts)}; score {self.score:.3f}"

    def to_json(self, rank: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "site": self.site,
            "verdict": "usable" if self.usable else "rejected",
            "reason": self.explain(),
        }
        if self.sla_id:
            out["sla"] = self.sla_id
        if self.usable:
            out.update(rank=rank, priority=self.priority, score=round(self.score, 4))
            if self.flavors:
                out["flavors"] = dict(self.flavors)
        return out


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
        usable = [v for v in self.candidates if v.usable]
        rejected = [v for v in self.candidates if not v.usable]
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


class JudgeMemo:
    """Verdicts kept between decisions of one request shape: a site is judged again only
    when its usage changed (usage maps whose values are replaced, never changed, on
    change: ``engine.sites.usage_book``). Valid for one screening and one set of
    statistics; ``schedule`` starts it again when either is another."""

    __slots__ = ("basis", "verdicts")

    def __init__(self) -> None:
        self.basis: tuple[Any, ...] = ()
        self.verdicts: dict[str, tuple[Usage, Usage, Verdict]] = {}

    def kept_for(self, screened: Screened, stats: Mapping[str, SiteStats]) -> JudgeMemo:
        if len(self.basis) != 2 or self.basis[0] is not screened or self.basis[1] is not stats:
            self.basis, self.verdicts = (screened, stats), {}
        return self


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
    asked = needs.usage
    stats, site_usage = fed.stats, fed.site_usage
    group_usage = fed.group_usage if group else {}
    kept = memo.kept_for(screened, stats).verdicts if memo is not None else {}
    usable: list[Verdict] = []
    rejected = [Verdict(name, False, why, sla_id) for name, why, sla_id in screened.rejected]
    for site, sla, flavors in screened.passed:
        name = site.name
        group_used = group_usage.get((group, name), NO_USAGE)  # type: ignore[arg-type]
        site_used = site_usage.get(name, NO_USAGE)
        hit = kept.get(name)
        if hit is not None and hit[0] is group_used and hit[1] is site_used:
            verdict = hit[2]
        else:
            verdict = _judge(site, sla, stats.get(name, NO_STATS), group_used, site_used, asked,
                             flavors)  # fmt: skip
            if memo is not None:
                kept[name] = (group_used, site_used, verdict)
        (usable if verdict.usable else rejected).append(verdict)
    usable.sort(key=_rank_key)
    rejected.sort(key=_site_key)
    problem = screened.problem
    decision = Decision(group, placement, usable + rejected, problem, [v.site for v in usable])
    if problem is None and placement.site:
        decision.problem = _manual_problem(decision, placement.site)
    elif problem is None and not usable:
        decision.problem = no_site_message(decision)
    return decision


def _rank_key(v: Verdict) -> tuple[Any, ...]:
    return v.key


def _site_key(v: Verdict) -> str:
    return v.site


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

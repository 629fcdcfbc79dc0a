"""Verdicts and ranking kept between decisions of one request shape.

Every decision judges each site past the screening against its usage, then
ranks the usable ones. With a thousand sites and one deployment placed per
decision, nearly all of that repeats the last decision. A ``JudgeMemo`` keeps
each site's verdict with the usage it was judged on (usage objects are
replaced, never changed: ``engine.sites.usage_book``), and, when the
federation says which sites' usage changed (``Federation.usage_log``), keeps
the ranked lists too: only the changed sites are judged again and moved in
them, so a decision costs what changed, not the number of sites.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, insort
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from cumulo.federation.model import (
    NO_USAGE,
    Federation,
    SiteStats,
    SiteView,
    Sla,
    Usage,
    Verdict,
)

if TYPE_CHECKING:
    from cumulo.federation.screening import Screened

Passed = tuple[SiteView, Sla | None, Mapping[str, str]]  # a site past the screening
Judge = Callable[[Passed, Usage, Usage], Verdict]  # (site, group's usage, site's usage)
NO_GROUP_USAGE: Mapping[tuple[str, str], Usage] = MappingProxyType({})


def rank_key(v: Verdict) -> tuple[Any, ...]:
    return v.key


def site_key(v: Verdict) -> str:
    return v.site


def judge_all(
    screened: Screened,
    group_usage: Mapping[tuple[str, str], Usage],
    site_usage: Mapping[str, Usage],
    group: str | None,
    judge: Judge,
    kept: dict[str, tuple[Usage, Usage, Verdict]] | None = None,
) -> tuple[list[Verdict], list[Verdict]]:
    """(usable verdicts by rank, rejected ones by site), each site judged again unless
    ``kept`` holds its verdict for the same usage objects (then updated in ``kept``)."""
    usable: list[Verdict] = []
    rejected = [Verdict(name, False, why, sla_id) for name, why, sla_id in screened.rejected]
    for passed in screened.passed:
        name = passed[0].name
        group_used = group_usage.get((group, name), NO_USAGE)  # type: ignore[arg-type]
        site_used = site_usage.get(name, NO_USAGE)
        hit = kept.get(name) if kept is not None else None
        if hit is not None and hit[0] is group_used and hit[1] is site_used:
            verdict = hit[2]
        else:
            verdict = judge(passed, group_used, site_used)
            if kept is not None:
                kept[name] = (group_used, site_used, verdict)
        (usable if verdict.usable else rejected).append(verdict)
    usable.sort(key=rank_key)
    rejected.sort(key=site_key)
    return usable, rejected


class JudgeMemo:
    """What one request shape's decisions keep (thread-safe: workers share it). Valid
    for one screening and one set of statistics; started again when either is another."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.basis: tuple[Any, ...] = ()  # (screening, statistics)
        self.verdicts: dict[str, tuple[Usage, Usage, Verdict]] = {}
        self._passed: dict[str, Passed] = {}
        # The last ranking, and the usage maps and log generation it was made from.
        self._ranked: tuple[list[Verdict], list[Verdict]] = ([], [])
        self._ranked_from: tuple[Any, ...] = ()
        self._generation: int | None = None

    def ranked(
        self, screened: Screened, fed: Federation, group: str | None, judge: Judge
    ) -> tuple[list[Verdict], list[Verdict]]:
        """``judge_all``'s answer, computed again only for the sites whose usage changed
        when the federation's usage log says which."""
        group_usage = fed.group_usage if group else NO_GROUP_USAGE
        log = fed.usage_log
        with self._lock:
            # Read before the usage: a change made meanwhile is judged again next time.
            generation = log.generation if log is not None else None
            self._start_for(screened, fed.stats)
            changed = None
            ranked_from = (group_usage, fed.site_usage)
            same_maps = len(self._ranked_from) == 2 and all(
                a is b for a, b in zip(self._ranked_from, ranked_from, strict=True)
            )
            if log is not None and same_maps and self._generation is not None:
                changed = log.changed_since(self._generation)
            if changed is None or not self._moved(changed, group_usage, fed.site_usage, group,
                                                  judge):  # fmt: skip
                self._ranked = judge_all(
                    screened, group_usage, fed.site_usage, group, judge, self.verdicts
                )
            self._ranked_from, self._generation = ranked_from, generation
            return list(self._ranked[0]), list(self._ranked[1])

    def _start_for(self, screened: Screened, stats: Mapping[str, SiteStats]) -> None:
        if len(self.basis) == 2 and self.basis[0] is screened and self.basis[1] is stats:
            return
        self.basis, self.verdicts = (screened, stats), {}
        self._passed = {p[0].name: p for p in screened.passed}
        self._ranked, self._ranked_from, self._generation = ([], []), (), None

    def _moved(
        self,
        changed: set[str],
        group_usage: Mapping[tuple[str, str], Usage],
        site_usage: Mapping[str, Usage],
        group: str | None,
        judge: Judge,
    ) -> bool:
        """Judge the changed sites again and move them in the kept ranking; False if the
        ranking cannot be updated so (then it is made again from every site)."""
        usable, rejected = self._ranked
        for name in changed:
            passed = self._passed.get(name)
            if passed is None:
                continue  # rejected by the screening: usage does not change its verdict
            hit = self.verdicts.get(name)
            if hit is None:
                return False
            group_used = group_usage.get((group, name), NO_USAGE)  # type: ignore[arg-type]
            site_used = site_usage.get(name, NO_USAGE)
            if hit[0] is group_used and hit[1] is site_used:
                continue
            verdict = judge(passed, group_used, site_used)
            if not _remove(usable if hit[2].usable else rejected, hit[2]):
                return False
            if verdict.usable:
                insort(usable, verdict, key=rank_key)
            else:
                insort(rejected, verdict, key=site_key)
            self.verdicts[name] = (group_used, site_used, verdict)
        return True


def _remove(verdicts: list[Verdict], old: Verdict) -> bool:
    """Take ``old`` out of its sorted list (usable by rank, rejected by site)."""
    key = rank_key if old.usable else site_key
    i = bisect_left(verdicts, key(old), key=key)  # type: ignore[arg-type]
    while i < len(verdicts) and key(verdicts[i]) == key(old):
        if verdicts[i] is old:
            del verdicts[i]
            return True
        i += 1
    return False

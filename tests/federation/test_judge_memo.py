"""Verdicts kept between decisions (``JudgeMemo``) give the decisions made without them."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

from cumulo.federation import (
    ComputeNeed,
    Federation,
    Flavor,
    JudgeMemo,
    Limits,
    Needs,
    Placement,
    SiteStats,
    SiteView,
    Sla,
    Usage,
    schedule,
)
from cumulo.federation.screening import screen

TODAY = date(2026, 6, 1)
VM = Needs((ComputeNeed("vm", 1, 2, 4000, 10),))
FLAVORS = (Flavor("m", 4, 8000, 40),)


def _federation(rnd: random.Random, n: int = 40) -> Federation:
    sites, slas, group_usage, site_usage = [], [], {}, {}
    for i in range(n):
        name = f"s{i:02d}"
        sites.append(SiteView(name, flavors=FLAVORS, quotas=Limits(instances=12, cores=30)))
        slas.append(Sla(f"sla-{i}", "phys", name, priority=i % 3, limits=Limits(instances=8)))
        group_usage[("phys", name)] = Usage(rnd.randint(0, 8), rnd.randint(0, 16))
        site_usage[name] = Usage(rnd.randint(0, 12), rnd.randint(0, 30))
    stats = {f"s{i:02d}": SiteStats(rnd.randint(0, 9), rnd.randint(0, 3), 30.0) for i in range(n)}
    return Federation(tuple(sites), tuple(slas), group_usage, site_usage, {}, stats)


def _seen(decision):  # type: ignore[no-untyped-def]
    return decision.ranked, decision.problem, decision.to_json()


def test_a_memo_gives_the_same_decisions_as_judging_every_site_again() -> None:
    rnd = random.Random(3)
    fed = _federation(rnd)
    memo, screened = JudgeMemo(), screen(fed, VM, "phys", TODAY, Placement())
    reused = 0
    for _round in range(30):
        # Some sites' usage changes (a new object, as the usage book makes), most do not.
        group_usage, site_usage = dict(fed.group_usage), dict(fed.site_usage)
        for name in rnd.sample(sorted(site_usage), 3):
            group_usage[("phys", name)] = Usage(rnd.randint(0, 9), rnd.randint(0, 16))
            site_usage[name] = Usage(rnd.randint(0, 13), rnd.randint(0, 31))
        fed = replace(fed, group_usage=group_usage, site_usage=site_usage)
        before = dict(memo.verdicts)
        with_memo = schedule(fed, VM, "phys", TODAY, Placement(), screened, memo)
        reused += sum(1 for v in with_memo.candidates if before.get(v.site, (0, 0, None))[2] is v)
        assert _seen(with_memo) == _seen(schedule(fed, VM, "phys", TODAY))
    assert reused > 30 * 30  # most verdicts were not made again


def test_new_statistics_or_a_manual_choice_are_judged_afresh() -> None:
    fed = _federation(random.Random(5))
    memo, screened = JudgeMemo(), screen(fed, VM, "phys", TODAY, Placement())
    first = schedule(fed, VM, "phys", TODAY, Placement(), screened, memo)
    # The best site fails a lot now: a memo kept for the old statistics must not rank it.
    best = first.ranked[0]
    stats = {**fed.stats, best: SiteStats(0, 50, 30.0)}
    fed = replace(fed, stats=stats)
    again = schedule(fed, VM, "phys", TODAY, Placement(), screened, memo)
    assert _seen(again) == _seen(schedule(fed, VM, "phys", TODAY))
    assert again.ranked.index(best) > 0
    # A manual choice ranks one site; the memo's shared verdicts are not changed by it.
    chosen = again.ranked[-1]
    manual = Placement(site=chosen)
    only = schedule(fed, VM, "phys", TODAY, manual, screen(fed, VM, "phys", TODAY, manual), memo)
    assert only.ranked == [chosen]
    assert schedule(fed, VM, "phys", TODAY, Placement(), screened, memo).ranked == again.ranked


class _Log:
    """A usage log as the engine's usage book keeps one: the sites changed, in order."""

    def __init__(self) -> None:
        self.changes: list[str] = []
        self.start = 0  # changes before this one are forgotten

    @property
    def generation(self) -> int:
        return self.start + len(self.changes)

    def changed_since(self, generation: int) -> set[str] | None:
        if generation < self.start:
            return None
        return set(self.changes[generation - self.start :])


def test_with_a_usage_log_only_the_changed_sites_are_judged_and_moved() -> None:
    rnd = random.Random(11)
    log = _Log()
    fed = replace(_federation(rnd, 60), usage_log=log)
    group_usage, site_usage = dict(fed.group_usage), dict(fed.site_usage)
    fed = replace(fed, group_usage=group_usage, site_usage=site_usage)  # kept up to date in place
    memo, screened = JudgeMemo(), screen(fed, VM, "phys", TODAY, Placement())
    previous = schedule(fed, VM, "phys", TODAY, Placement(), screened, memo)
    for round_ in range(40):
        changed = rnd.sample(sorted(site_usage), rnd.randint(0, 4))
        for name in changed:  # new objects, as the usage book makes them
            group_usage[("phys", name)] = Usage(rnd.randint(0, 9), rnd.randint(0, 16))
            site_usage[name] = Usage(rnd.randint(0, 13), rnd.randint(0, 31))
            log.changes.append(name)
        if round_ == 20:  # a log that forgot what the memo last saw: everything again
            log.start, log.changes = log.generation + 5, []
        decision = schedule(fed, VM, "phys", TODAY, Placement(), screened, memo)
        assert _seen(decision) == _seen(schedule(fed, VM, "phys", TODAY))
        before = {v.site: v for v in previous.candidates}
        judged = {v.site for v in decision.candidates if before[v.site] is not v}
        if round_ != 21:
            assert judged <= set(changed)  # every other site kept its verdict object
        previous = decision

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

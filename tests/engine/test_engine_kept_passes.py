"""Work done once and reused: the registry's usage-free scheduling passes (per
fingerprint and request shape) and the events written by one insert per flush."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from cumulo.engine.events import record
from cumulo.engine.states import Status, set_deployment_status
from cumulo.federation import (
    ComputeNeed,
    Federation,
    Flavor,
    Health,
    Limits,
    Needs,
    Placement,
    SiteView,
    Sla,
    Usage,
    schedule,
)
from cumulo.federation.screening import screen
from cumulo.store import Database
from cumulo.store.models import Deployment, Event

TODAY = date(2026, 6, 1)
VM = Needs((ComputeNeed("vm", 2, 2, 4000, 20, needs_image=True, distribution="debian"),))


def _federation() -> Federation:
    flavors = (Flavor("s", 1, 2000, 10), Flavor("m", 2, 4000, 20))
    images = {"debian": {"12": "d12"}}
    sites, slas, usage = [], [], {}
    for i in range(40):
        name = f"site-{i:02d}"
        status = "maintenance" if i % 10 == 0 else "limited" if i % 7 == 0 else "active"
        offered = images if i % 5 else {}
        sites.append(SiteView(name, status=status, flavors=flavors[: 1 + i % 2],
                              images=offered, quotas=Limits(instances=10)))  # fmt: skip
        end = date(2026, 1, 1) if i % 11 == 0 else None
        slas.append(Sla(f"sla-{i}", "physics", name, priority=i % 3, end=end,
                        limits=Limits(instances=4)))  # fmt: skip
        usage[("physics", name)] = Usage(i % 4, 0, 0)
    slas.append(Sla("sla-x", "physics", "nowhere"))
    health = {"site-03": Health(False, "connection refused", 2)}
    site_usage = {f"site-{i:02d}": Usage(i % 12, 0, 0) for i in range(40)}
    return Federation(tuple(sites), tuple(slas), usage, site_usage, health)


@pytest.mark.parametrize(
    "placement", [Placement(), Placement(site="site-13"), Placement(site="site-10")]
)
def test_a_kept_screening_gives_the_same_decision(placement: Placement) -> None:
    fed = _federation()
    fresh = schedule(fed, VM, "physics", TODAY, placement)
    screened = screen(fed, VM, "physics", TODAY, placement)
    kept = [schedule(fed, VM, "physics", TODAY, placement, screened) for _ in range(2)]
    assert [k.to_json() for k in kept] == [fresh.to_json()] * 2
    reasons = {v.reason for v in fresh.candidates if not v.usable}
    assert any("limit reached" in r for r in reasons)  # usage still judged per decision
    assert any("status is maintenance" in r for r in reasons)  # the screening's own


def _new(db: Database) -> str:
    with db.session() as s:
        dep = Deployment(template="t", owner_issuer="i", owner_subject="s")
        set_deployment_status(s, dep, Status.CREATE_IN_PROGRESS)  # an event before the row
        s.add(dep)
        record(s, dep.id, "info", "second")
    return dep.id


def test_events_land_in_order_in_the_callers_transaction(db: Database) -> None:
    dep_id = _new(db)
    with db.session() as s:
        record(s, dep_id, "info", "alone in its transaction")
    with pytest.raises(RuntimeError), db.session() as s:
        record(s, dep_id, "info", "rolled back")
        raise RuntimeError
    with db.session() as s:
        record(s, dep_id, "driver", "seen by a query after it", node="app[0]")
        dep = s.get(Deployment, dep_id)
        dep.description = "dirty"  # a flush writes the events before the query below
        seen = s.scalars(select(Event.message).where(Event.deployment_id == dep_id)).all()
        assert seen[-1] == "seen by a query after it"
    with db.session() as s:
        rows = s.scalars(select(Event).where(Event.deployment_id == dep_id).order_by(Event.id))
        log = [(e.kind, e.node, e.message) for e in rows]
    assert log == [
        ("status", None, "status CREATE_IN_PROGRESS"),
        ("info", None, "second"),
        ("info", None, "alone in its transaction"),
        ("driver", "app[0]", "seen by a query after it"),
    ]


def test_a_deployment_deleted_with_new_events_goes_with_them(db: Database) -> None:
    dep_id = _new(db)
    with db.session() as s:
        dep = s.get(Deployment, dep_id)
        set_deployment_status(s, dep, Status.DELETE_IN_PROGRESS)
        set_deployment_status(s, dep, Status.DELETE_COMPLETE)
        s.delete(dep)
    with db.session() as s:
        assert s.get(Deployment, dep_id) is None
        assert not s.scalars(select(Event).where(Event.deployment_id == dep_id)).all()

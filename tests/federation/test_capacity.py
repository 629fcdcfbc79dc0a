"""A deployment too large for every site open to it, even empty, is known at once (issue 11),
and the local site gets quotas sized from its machine."""

from __future__ import annotations

from datetime import date

from cumulo.engine.sites.machine_quotas import CORES_PER_CORE, machine_quotas
from cumulo.federation import (
    ComputeNeed,
    Federation,
    Flavor,
    Limits,
    Needs,
    Placement,
    SiteView,
    Sla,
    never_fits,
)

TODAY = date(2026, 6, 1)
LOCAL = SiteView("local", public=True, quotas=Limits(instances=100, cores=8, ram_mb=50_000))


def needs(count: int = 1, cpus: float = 1, ram_mb: float = 512, node: str = "vm") -> Needs:
    return Needs((ComputeNeed(node, count, cpus, ram_mb), ComputeNeed("small", 1, 0.5, 64)))


def test_what_fits_an_empty_site_passes() -> None:
    assert never_fits(Federation((LOCAL,)), needs(5), None, TODAY, Placement()) is None


def test_a_need_past_the_sites_quota_names_the_node_and_the_limit() -> None:
    why = never_fits(Federation((LOCAL,)), needs(cpus=1e308), None, TODAY, Placement())
    assert why == (
        "the deployment is larger than any site open to it allows: local: site quota cores: "
        "1e+308 asked > 8 (node 'vm': count 1, 1e+308 CPU, 512 MB RAM each)"
    )
    why = never_fits(Federation((LOCAL,)), needs(count=100), None, TODAY, Placement())
    assert why is not None and "instances: 101 asked > 100" in why and "'vm'" in why


def test_the_slas_limits_count_and_one_site_that_fits_is_enough() -> None:
    site_a = SiteView("a", quotas=Limits(cores=100))
    site_b = SiteView("b", flavors=(Flavor("m1", 2, 4000),))
    slas = (Sla("s-a", "phys", "a", limits=Limits(cores=4)), Sla("s-b", "phys", "b"))
    fed = Federation((site_a, site_b), slas)
    why = never_fits(fed, needs(cpus=4), "phys", TODAY, Placement())
    assert why is not None
    assert "a: SLA s-a limit cores: 4.5 asked > 4 (node 'vm'" in why
    assert "b: no flavor fits node 'vm' (count 1, 4 CPU, 512 MB RAM each)" in why
    assert never_fits(fed, needs(cpus=2), "phys", TODAY, Placement()) is None  # a takes it
    why = never_fits(fed, needs(cpus=3), "phys", TODAY, Placement(sla_id="s-b"))
    assert why is not None and "b: no flavor" in why and "s-a" not in why


def test_an_unlimited_site_or_no_open_site_is_left_to_the_scheduler() -> None:
    unlimited = SiteView("free", public=True)
    assert never_fits(Federation((LOCAL, unlimited)), needs(cpus=1e9), None, TODAY,
                      Placement()) is None  # fmt: skip
    assert never_fits(Federation((LOCAL,)), needs(cpus=1e9), "nobody", TODAY, Placement()) is None


def test_the_machine_sizes_the_local_sites_quotas() -> None:
    quotas = machine_quotas()
    assert quotas["cores"] >= CORES_PER_CORE and quotas["cores"] % CORES_PER_CORE == 0
    assert quotas["instances"] >= 50
    assert quotas["ram_mb"] > 100  # this machine has memory, and it is counted twice over


def test_gpus_asked_where_no_open_site_has_any_are_refused_naming_the_node() -> None:
    gpu = Needs((ComputeNeed("server", 1, 1, 1024, gpus=1),))
    fed = Federation((LOCAL, SiteView("other", public=True, quotas=Limits(cores=64))))
    why = never_fits(fed, gpu, None, TODAY, Placement())
    assert why == (
        "no site offers GPUs: node 'server' asks for 1 GPU(s), and no site open to the "
        "deployment has any (local, other)"
    )
    # one open site with GPUs is enough here; the scheduler then leaves the others out
    with_gpus = Federation((LOCAL, SiteView("gpu", public=True, gpus=True)))
    assert never_fits(with_gpus, gpu, None, TODAY, Placement()) is None
    # a site with GPUs that is not open to the deployment does not count
    closed = Federation((LOCAL, SiteView("gpu", public=False, gpus=True)))
    assert never_fits(closed, gpu, None, TODAY, Placement()) is not None
    assert never_fits(fed, needs(), None, TODAY, Placement()) is None  # no GPU asked

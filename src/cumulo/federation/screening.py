"""The part of a scheduling decision that usage does not change: which sites are open to
the request and which of them could take it at all (status, health, capabilities).

It depends only on the registry (sites, SLAs, health, the images Docker sites hold),
the request's needs, group and manual choice, and the day; so the engine computes it
once per registry snapshot and request shape and every decision reuses it
(``cumulo.engine.sites.scheduling``). ``schedule`` then judges only the usage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from cumulo.federation.images import missing_image
from cumulo.federation.machines import no_full_vm
from cumulo.federation.model import (
    ComputeNeed,
    Federation,
    Flavor,
    Health,
    Needs,
    Placement,
    SiteStatus,
    SiteView,
    Sla,
)
from cumulo.federation.object_storage import no_s3_service

NO_HEALTH = Health()
_ACTIVE, _LIMITED = SiteStatus.ACTIVE.value, SiteStatus.LIMITED.value


@dataclass(frozen=True, slots=True)
class Screened:
    """Sites open to a request: those past every usage-free filter, with each node's flavor,
    and the others with their reason."""

    problem: str | None  # the request cannot be placed at all (e.g. an SLA of another group)
    passed: tuple[tuple[SiteView, Sla | None, Mapping[str, str]], ...]
    rejected: tuple[tuple[str, str, str | None], ...]  # (site, reason, SLA id)


def screen(
    fed: Federation, needs: Needs, group: str | None, today: date, placement: Placement
) -> Screened:
    """Every usage-free verdict of ``schedule``, in one pass over the sites open to the request."""
    sites = {s.name: s for s in fed.sites}
    problem, allowed = open_sites(fed, sites, group, today, placement)
    passed, rejected = [], []
    for site_name, sla in allowed:
        site = sites.get(site_name)
        sla_id = sla.id if sla is not None else None
        if site is None:
            rejected.append((site_name, f"SLA {sla_id or ''} names an unknown site", sla_id))
            continue
        flavors: dict[str, str] = {}
        inactive = sla.inactive_reason(today) if sla is not None else None
        health = fed.health.get(site_name, NO_HEALTH)
        why = inactive or _static_problem(
            site, health, needs, fed.present_images.get(site_name), flavors
        )
        if why:
            rejected.append((site_name, why, sla_id))
        else:
            passed.append((site, sla, flavors))
    return Screened(problem, tuple(passed), tuple(rejected))


def _static_problem(
    site: SiteView,
    health: Health,
    needs: Needs,
    present: frozenset[str] | None,
    flavors: dict[str, str],
) -> str | None:
    """Why ``site`` can never take ``needs`` as it is now (filling ``flavors``), or None."""
    status = site.status
    if status != _ACTIVE and status != _LIMITED:
        return f"site status is {status}"
    if health.up is False:
        return f"failing its health probe: {health.error}"
    problem = no_full_vm(site, needs)  # first: the reason that matters on such a site
    if problem:
        return problem
    for need in needs.computes:
        problem = _capability_problem(site, need, flavors)
        if problem:
            return problem
    if needs.volumes and not site.volumes:
        return "the site offers no block storage volumes"
    return missing_image(site, needs, present) or no_s3_service(site, needs)


def open_sites(
    fed: Federation,
    sites: Mapping[str, SiteView],
    group: str | None,
    today: date,
    placement: Placement,
) -> tuple[str | None, list[tuple[str, Sla | None]]]:
    """(problem, the (site, SLA) pairs open to the request); SLA None for a public site."""
    if group is None:
        if placement.sla_id:
            sla = next((s for s in fed.slas if s.id == placement.sla_id), None)
            if sla is None:
                return f"no SLA with id {placement.sla_id}", []
            return f"SLA {sla.id} is for group {sla.group}: deploy with userGroup {sla.group}", []
        return None, [(s.name, None) for s in fed.sites if s.public]
    best: dict[str, Sla] = {}
    for sla in fed.slas:
        if sla.group != group:
            continue
        if placement.sla_id and sla.id != placement.sla_id:
            continue
        current = best.get(sla.site)
        # Several SLAs of the group on one site: prefer an active one, then the higher priority.
        if current is None or _sla_key(sla, today) > _sla_key(current, today):
            best[sla.site] = sla
    if placement.sla_id and not best:
        owner = next((s.group for s in fed.slas if s.id == placement.sla_id), None)
        if owner is None:
            return f"no SLA with id {placement.sla_id}", []
        return f"SLA {placement.sla_id} is for group {owner}, not {group}", []
    if placement.sla_id and placement.site:
        (only,) = best.values()
        if only.site != placement.site:
            chosen = placement.site
            return f"SLA {only.id} is on site {only.site}, not on the chosen site {chosen}", []
    return None, sorted(best.items())


def _sla_key(sla: Sla, today: date) -> tuple[bool, int]:
    return (sla.inactive_reason(today) is None, sla.priority)


def _capability_problem(site: SiteView, need: ComputeNeed, flavors: dict[str, str]) -> str | None:
    if need.gpus and not site.gpus:
        return f"node {need.node} needs {need.gpus} GPU(s); the site has none"
    if need.public_ip and not site.public_ip:
        return f"node {need.node} needs a public IP; the site offers none"
    if site.flavors:
        flavor = fitting_flavor(site.flavors, need)
        if flavor is None:
            return f"no flavor fits node {need.node} ({_size_text(need)})"
        flavors[need.node] = flavor.name
    if need.needs_image:
        return _image_problem(site, need)
    return None


def fitting_flavor(flavors: tuple[Flavor, ...], need: ComputeNeed) -> Flavor | None:
    """The first flavor (they are kept smallest first) with room for ``need``."""
    for f in flavors:
        if (
            f.vcpus >= need.cpus
            and f.ram_mb >= need.ram_mb
            and f.disk_gb >= need.disk_gb
            and f.gpus >= need.gpus
        ):
            return f
    return None


def _size_text(need: ComputeNeed) -> str:
    parts = [f"{need.cpus:g} CPU", f"{need.ram_mb:g} MB RAM"]
    if need.disk_gb:
        parts.append(f"{need.disk_gb:g} GB disk")
    if need.gpus:
        parts.append(f"{need.gpus} GPU")
    return ", ".join(parts)


def _image_problem(site: SiteView, need: ComputeNeed) -> str | None:
    if not site.images:
        return f"node {need.node} needs an OS image; the site offers none"
    if need.distribution is None:
        return None
    versions = site.images.get(need.distribution)
    if versions and (need.version is None or need.version in versions):
        return None
    wanted = " ".join(x for x in (need.distribution, need.version) if x)
    offered = ", ".join(f"{d} {v}" for d, vs in site.images.items() for v in vs)
    example = f'{need.distribution}: {{"{need.version or "VERSION"}": IMAGE}}'
    return (
        f"no image for {wanted} (node {need.node}); the site offers {offered}. "
        f"An admin adds it to the site's images, e.g. {example}, where IMAGE may be "
        "one the site already has (an alias); see docs/federation.md, Images"
    )

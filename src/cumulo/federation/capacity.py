"""Whether a deployment's size could ever fit: the check made when it is requested.

Usage, health and a site's status change with time; the size a request asks for,
a site's quotas, flavors and GPUs and an SLA's limits do not. A deployment no
open site could hold even with nothing else running is refused at once, naming
the node, the limit and the site, instead of failing (or worse, being tried)
later; so is a node asking for GPUs when no open site has any, a container
image that no open site pulls or holds, cluster software when no open site
gives full virtual machines, and a bucket when no open site has an S3 service.
"""

from __future__ import annotations

from datetime import date

from cumulo.federation.images import missing_image
from cumulo.federation.machines import no_full_vm
from cumulo.federation.model import ComputeNeed, Federation, Limits, Needs, Placement, Usage
from cumulo.federation.object_storage import no_s3_service
from cumulo.federation.screening import fitting_flavor, open_sites

_FIELDS = (  # Usage field, label, unit, a node's share of it
    ("instances", "instances", "", lambda c: c.count),
    ("cores", "cores", "", lambda c: c.cpus * c.count),
    ("ram_mb", "ram", " MB", lambda c: c.ram_mb * c.count),
    ("volume_gb", "volume", " GB", None),
)


def never_fits(
    fed: Federation, needs: Needs, group: str | None, today: date, placement: Placement
) -> str | None:
    """Why no site open to the request could ever take ``needs``, or None.

    None too when no site is open at all: that is the scheduler's own answer to give.
    """
    sites = {s.name: s for s in fed.sites}
    problem, pairs = open_sites(fed, sites, group, today, placement)
    if problem or not pairs:
        return None
    gpus = _no_gpus(sites, [name for name, _ in pairs], needs)
    if gpus:
        return gpus
    kernels = [no_full_vm(sites[n], needs) for n, _ in pairs if n in sites]
    if kernels and all(kernels):
        return _joined([k for k in kernels if k])
    images = _no_image(fed, sites, [name for name, _ in pairs], needs)
    if images:
        return images
    stores = [no_s3_service(sites[n], needs) for n, _ in pairs if n in sites]
    if stores and all(stores):
        return _joined([s for s in stores if s])
    asked = needs.usage
    reasons = []
    for name, sla in pairs:
        site = sites.get(name)
        if site is None:
            return None
        why = (
            (_over(sla.limits, asked, needs, f"SLA {sla.id} limit") if sla is not None else None)
            or _over(site.quotas, asked, needs, "site quota")
            or _no_flavor(site.flavors, needs)
        )
        if why is None:
            return None
        reasons.append(f"{name}: {why}")
    return "the deployment is larger than any site open to it allows: " + "; ".join(reasons)


def _over(limits: Limits, asked: Usage, needs: Needs, what: str) -> str | None:
    for field, label, unit, share in _FIELDS:
        limit = getattr(limits, field)
        value = getattr(asked, field)
        if limit is None or not value or value <= limit:
            continue
        text = f"{what} {label}: {_n(value)} asked > {_n(limit)}{unit}"
        if share is None or not needs.computes:
            return f"{text} ({needs.volumes} volume(s))"
        top = max(needs.computes, key=share)
        return f"{text} (node {top.node!r}: {_node_size(top)})"
    return None


def _no_gpus(sites: dict, names: list[str], needs: Needs) -> str | None:
    """A node asks for GPUs and no open site has any (a site's ``capabilities.gpus``)."""
    asking = next((c for c in needs.computes if c.gpus), None)
    if asking is None or any(sites[n].gpus for n in names if n in sites):
        return None
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return (
        f"no site offers GPUs: node {asking.node!r} asks for {asking.gpus} GPU(s), and no site "
        f"open to the deployment has any ({shown})"
    )


def _no_image(fed: Federation, sites: dict, names: list[str], needs: Needs) -> str | None:
    """Every open site lacks an image a node runs: each site's reason."""
    if not needs.images:
        return None
    reasons = []
    for name in names:
        site = sites.get(name)
        why = site and missing_image(site, needs, fed.present_images.get(name))
        if not why:
            return None
        reasons.append(why)
    return _joined(reasons)


def _joined(reasons: list[str]) -> str:
    more = len(reasons) - 10
    return "; ".join(reasons[:10]) + (f"; and {more} more" if more > 0 else "")


def _no_flavor(flavors: tuple, needs: Needs) -> str | None:
    if not flavors:
        return None
    for need in needs.computes:
        if fitting_flavor(flavors, need) is None:
            return f"no flavor fits node {need.node!r} ({_node_size(need)})"
    return None


def _node_size(need: ComputeNeed) -> str:
    return f"count {need.count}, {_n(need.cpus)} CPU, {_n(need.ram_mb)} MB RAM each"


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"

"""Which flavor and which image a Compute node gets on the cloud.

The flavor is the ``instance_type`` asked, else the smallest of the cloud's
flavors (fewest GPUs, then vCPUs, RAM, disk) with room for ``num_cpus``,
``mem_size``, ``disk_size`` and ``num_gpus`` — the scheduler's rule
(``cumulo.federation.fitting_flavor``) over the cloud's real list. The image is
the site's image map entry for the ``os`` distribution and version, or the
``image`` asked by name or id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.drivers.base import NodeRequest
from cumulo.errors import ImageNotFound, SiteError
from cumulo.federation import ComputeNeed, Flavor
from cumulo.federation.scheduler import fitting_flavor
from cumulo.tosca.units import parse_size

# Flavor extra specs that ask for GPUs, as GPU flavors of real clouds do.
PCI_ALIAS = "pci_passthrough:alias"  # "ALIAS:COUNT[,ALIAS:COUNT]"
GPU_RESOURCES = ("resources:VGPU", "resources:PGPU")


def flavor_gpus(extra_specs: Mapping[str, Any] | None) -> int:
    specs = extra_specs or {}
    count = 0
    for entry in str(specs.get(PCI_ALIAS) or "").split(","):
        _, _, n = entry.partition(":")
        count += int(n) if n.strip().isdigit() else 0
    for key in GPU_RESOURCES:
        value = str(specs.get(key) or "")
        count += int(value) if value.isdigit() else 0
    return count


def cloud_flavor(raw: Any) -> Flavor:
    """An openstacksdk flavor as the scheduler's ``Flavor`` (RAM in MB, disk in GB)."""
    return Flavor(
        raw.name,
        float(raw.vcpus),
        float(raw.ram),
        float(raw.disk or 0),
        flavor_gpus(getattr(raw, "extra_specs", None)),
    )


def smallest_first(flavors: list[Flavor]) -> tuple[Flavor, ...]:
    return tuple(sorted(flavors, key=lambda f: (f.gpus, f.vcpus, f.ram_mb, f.disk_gb, f.name)))


def need_of(request: NodeRequest) -> ComputeNeed:
    host = request.capabilities.get("host") or {}
    return ComputeNeed(
        request.node,
        cpus=_number(request, "num_cpus", host.get("num_cpus")),
        ram_mb=_size(request, "mem_size", host.get("mem_size"), 1e6),
        disk_gb=_size(request, "disk_size", host.get("disk_size"), 1e9),
        gpus=int(_number(request, "num_gpus", host.get("num_gpus"))),
    )


def choose_flavor(request: NodeRequest, site: str, flavors: tuple[Flavor, ...]) -> str:
    """The flavor's name, or ``SiteError`` saying what was asked and what exists."""
    asked = (request.capabilities.get("host") or {}).get("instance_type")
    if asked not in (None, ""):
        if any(f.name == str(asked) for f in flavors):
            return str(asked)
        raise SiteError(
            f"node {request.node}: site {site} has no flavor {asked!r} (instance_type); "
            f"it has {', '.join(f.name for f in flavors) or 'none'}"
        )
    need = need_of(request)
    found = fitting_flavor(flavors, need)
    if found is None:
        raise SiteError(
            f"node {request.node}: no flavor of site {site} fits {need.cpus:g} CPU, "
            f"{need.ram_mb:g} MB RAM, {need.disk_gb:g} GB disk, {need.gpus} GPU"
        )
    return found.name


def choose_image(request: NodeRequest, site: str, images: Mapping[str, Mapping[str, str]]) -> str:
    """The image (name or id) for the node's ``os`` capability."""
    os_cap = request.capabilities.get("os") or {}
    if os_cap.get("image") not in (None, ""):
        return str(os_cap["image"])  # a name or id of the cloud's, checked by Glance
    distribution = str(os_cap.get("distribution") or "").strip().lower()
    version = _version(os_cap.get("version"))
    if not distribution:
        distribution = next(iter(images), "")
    versions = images.get(distribution) or {}
    if not version and versions:
        version = sorted(versions)[-1]  # the newest the site offers
    image = versions.get(version)
    if image is None:
        offered = ", ".join(f"{d} {v}" for d, vs in images.items() for v in vs) or "nothing"
        wanted = " ".join(x for x in (distribution, version) if x) or "an operating system"
        raise ImageNotFound(
            f"node {request.node}: site {site} does not offer {wanted!r}; it offers: {offered}"
        )
    return image


def _version(value: Any) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().lower()


def _number(request: NodeRequest, name: str, value: Any) -> float:
    if value in (None, ""):
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SiteError(
            f"node {request.node}: capabilities.host.{name}: {value!r} is not a number"
        ) from None


def _size(request: NodeRequest, name: str, value: Any, unit: float) -> float:
    if value in (None, ""):
        return 0.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / unit
    try:
        return parse_size(str(value)) / unit
    except ValueError as exc:
        raise SiteError(f"node {request.node}: capabilities.host.{name}: {exc}") from None

"""The sites a group may deploy on, with their health: the wizard's scheduling step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cumulo.engine.runtime import Engine
from cumulo.engine.sites.scheduling import load_federation

UNUSABLE = frozenset({"maintenance", "removed"})


@dataclass(frozen=True)
class SiteChoice:
    name: str
    kind: str
    region: str | None
    status: str
    health: str  # up / down / unknown
    detail: str  # why down, or the SLA's priority
    selectable: bool


def sites_for(engine: Engine, group: str | None) -> list[SiteChoice]:
    """The group's sites (by its SLAs; without a group, the public sites), best first."""
    fed = load_federation(engine)
    priority: dict[str, int] = {}
    for sla in fed.slas:
        if sla.group == group:
            priority[sla.site] = max(priority.get(sla.site, sla.priority), sla.priority)
    out = []
    for site in fed.sites:
        if (group is None and not site.public) or (group is not None and site.name not in priority):
            continue
        h = fed.health.get(site.name)
        health = "unknown" if h is None or h.up is None else ("up" if h.up else "down")
        detail = (h.error or "") if h is not None and h.up is False else ""
        if site.name in priority:
            detail = detail or f"SLA priority {priority[site.name]}"
        out.append(
            SiteChoice(
                name=site.name,
                kind=site.kind,
                region=site.region,
                status=str(site.status),
                health=health,
                detail=detail,
                selectable=str(site.status) not in UNUSABLE and health != "down",
            )
        )
    return sorted(out, key=lambda c: (-priority.get(c.name, 0), c.name))


OS_DISTRIBUTION_INPUTS = ("os_distribution", "distribution")
OS_VERSION_INPUTS = ("os_version", "version")


def images_for(engine: Engine, group: str | None) -> dict[str, set[str]]:
    """distribution -> versions offered by the group's usable sites."""
    fed = load_federation(engine)
    usable = {c.name for c in sites_for(engine, group) if c.selectable}
    out: dict[str, set[str]] = {}
    for site in fed.sites:
        if site.name in usable:
            for dist, versions in (site.images or {}).items():
                out.setdefault(str(dist), set()).update(str(v) for v in versions)
    return out


def _offer(field: dict[str, Any], values: list[str]) -> None:
    """Make ``field`` a choice among ``values`` (keeping labels the catalogue gave)."""
    labels = {str(c["value"]): c["label"] for c in field.get("choices") or []}
    field["choices"] = [{"value": v, "label": labels.get(v, v)} for v in values]
    field["widget"] = "select"


def offer_site_images(fields: list[dict[str, Any]], images: dict[str, set[str]]) -> None:
    """Operating-system inputs list the images the group's sites really have."""
    if not images:
        return
    for field in fields:
        if field["widget"] not in ("text", "select"):
            continue
        if field["name"] in OS_DISTRIBUTION_INPUTS:
            _offer(field, sorted(images))
        elif field["name"] in OS_VERSION_INPUTS:
            _offer(field, sorted(set().union(*images.values())))


@dataclass(frozen=True)
class FlavorChoice:
    name: str
    vcpus: float
    ram_mb: float

    @property
    def label(self) -> str:
        # Decimal units, as sites declare them ("4 GB" is 4000 MB).
        ram = f"{self.ram_mb / 1000:g} GB" if self.ram_mb >= 1000 else f"{self.ram_mb:g} MB"
        return f"{self.name}: {self.vcpus:g} vCPU{'s' if self.vcpus != 1 else ''}, {ram} RAM"


def flavors_for(engine: Engine, group: str | None) -> list[FlavorChoice]:
    """The flavors of the group's usable sites, smallest first (one per name)."""
    fed = load_federation(engine)
    usable = {c.name for c in sites_for(engine, group) if c.selectable}
    found = {
        f.name: FlavorChoice(f.name, f.vcpus, f.ram_mb)
        for site in fed.sites
        if site.name in usable
        for f in site.flavors
    }
    return sorted(found.values(), key=lambda f: (f.vcpus, f.ram_mb, f.name))

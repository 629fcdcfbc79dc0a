"""Sites as the API and the dashboard show them: a site's JSON and what is used of it."""

from __future__ import annotations

from typing import Any

from cumulo.engine.indigo_json import format_time
from cumulo.engine.runtime import Engine
from cumulo.store.federation_queries import usage_by_group_and_site
from cumulo.store.models import Site


def usage_by_site(engine: Engine) -> dict[str, dict[str, float]]:
    """What the live deployments hold on each site (instances, cores, ram_mb, volume_gb)."""
    totals: dict[str, dict[str, float]] = {}
    with engine.db.reader() as s:
        rows = usage_by_group_and_site(s)
    for _group, site, inst, cores, ram, vol in rows:
        t = totals.setdefault(site, {"instances": 0, "cores": 0, "ram_mb": 0, "volume_gb": 0})
        t["instances"] += inst or 0
        t["cores"] += cores or 0
        t["ram_mb"] += ram or 0
        t["volume_gb"] += vol or 0
    return totals


def site_json(site: Site, base: str, usage: dict[str, float] | None = None) -> dict[str, Any]:
    health: dict[str, Any] = {"up": site.health_up, "failures": site.health_failures or 0}
    if site.health_error:
        health["error"] = site.health_error
    if site.health_checked_at:
        health["checkedAt"] = format_time(site.health_checked_at)
        health["latencyMs"] = round(site.health_latency_ms or 0.0, 1)
    out = {
        "name": site.name,
        "kind": site.kind,
        "endpoint": site.endpoint,
        "region": site.region,
        "status": site.status,
        "public": bool(site.public),
        "credentials": "set" if site.credentials else None,  # never the reference itself
        "flavors": site.flavors or [],
        "images": site.images or {},
        "quotas": site.quotas or {},
        "capabilities": site.capabilities or {},
        "options": _shown_options(site.options or {}),
        "health": health,
        "usage": usage or {"instances": 0, "cores": 0, "ram_mb": 0, "volume_gb": 0},
        "links": [{"rel": "self", "href": f"{base}/sites/{site.name}"}],
    }
    return {k: v for k, v in out.items() if v is not None}


def _shown_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options with the S3 service's credentials shown as "set", never the sealed text."""
    s3 = options.get("s3")
    if not isinstance(s3, dict):
        return options
    return {**options, "s3": {**s3, "credentials": "set" if s3.get("credentials") else None}}

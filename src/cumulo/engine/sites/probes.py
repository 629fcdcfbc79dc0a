"""Probing a site: its driver's health check (a real call to its backend), and for a
cloud what it reads of itself (flavors, images, limits, usage), stored in the registry."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from cumulo.engine.sites.drivers import make_driver
from cumulo.engine.sites.federation_cache import invalidate
from cumulo.secrets import SecretBox
from cumulo.store.db import Database, utcnow
from cumulo.store.federation_queries import usage_by_group_and_site
from cumulo.store.models import Site


def probe(site: Site, secrets: SecretBox | None = None) -> tuple[str | None, float]:
    """Ping the site's backend: (why it failed or None, seconds taken)."""
    problem, seconds, _ = probe_inventory(site, secrets)
    return problem, seconds


def probe_inventory(
    site: Site, secrets: SecretBox | None = None
) -> tuple[str | None, float, dict[str, Any] | None]:
    """Ping the site's backend and, for a cloud (a driver with ``inventory``), read
    its flavors, images, limits and usage: (why it failed or None, seconds, inventory)."""
    start = time.monotonic()
    found = None
    try:
        driver = make_driver(site, secrets=secrets)
        driver.ping()
        problem = None
        if hasattr(driver, "inventory"):
            found = driver.inventory()
    except Exception as exc:  # any failure to reach the backend is a failed probe
        problem = str(exc) or type(exc).__name__
    return problem, time.monotonic() - start, found


def record_probe(
    db: Database,
    name: str,
    problem: str | None,
    seconds: float,
    inventory: Mapping[str, Any] | None = None,
) -> None:
    with db.session() as s:
        site = s.get(Site, name)
        if site is None:
            return
        site.health_up = problem is None
        site.health_error = problem
        site.health_checked_at = utcnow()
        site.health_latency_ms = seconds * 1000
        site.health_failures = 0 if problem is None else (site.health_failures or 0) + 1
        if inventory is not None:
            _store_inventory(s, site, inventory)
    invalidate(db)


def _store_inventory(s: Any, site: Site, inventory: Mapping[str, Any]) -> None:
    """The cloud's flavors and images replace or join the site's; its quotas become the
    room left to cumulo: the cloud's limit less what others (not cumulo's live
    deployments on the site) use."""
    site.flavors = list(inventory.get("flavors") or site.flavors or [])
    images = {d: dict(v) for d, v in (inventory.get("images") or {}).items()}
    for distribution, versions in (site.images or {}).items():  # the admin's aliases stay
        images.setdefault(distribution, {}).update(versions)
    site.images = images
    held = [0.0, 0.0, 0.0, 0.0]
    for row in usage_by_group_and_site(s):
        if row[1] == site.name:
            held = [a + float(b or 0) for a, b in zip(held, row[2:], strict=True)]
    mine = dict(zip(("instances", "cores", "ram_mb", "volume_gb"), held, strict=True))
    usage = inventory.get("usage") or {}
    quotas = {}
    for key, limit in (inventory.get("limits") or {}).items():
        if limit is not None:
            others = max(0.0, float(usage.get(key, 0)) - mine.get(key, 0.0))
            quotas[key] = max(0.0, float(limit) - others)
    if "instances" in quotas:
        quotas["instances"] = int(quotas["instances"])
    site.quotas = quotas
    site.updated_at = utcnow()

"""Site drivers: the driver class of a site's kind, and the local Docker site's registration.

The engine reaches a backend only through the ``Driver`` protocol; the class
for a site's kind is looked up by name here so no backend module is imported
statically (and a backend whose library is missing fails only its own sites).
Which site a deployment goes to is ``cumulo.engine.sites.scheduling``'s business.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Mapping
from typing import Any

from cumulo.drivers.base import Driver, SiteInfo
from cumulo.egress import EgressPolicy
from cumulo.engine.sites.federation_cache import invalidate
from cumulo.engine.sites.machine_quotas import machine_quotas
from cumulo.errors import SiteError
from cumulo.secrets import Purpose, SecretBox
from cumulo.store.db import Database, utcnow
from cumulo.store.federation_queries import usage_by_group_and_site
from cumulo.store.models import Site

# site kind -> "module:Class" of its driver. The ``sim`` test double is not here:
# tests and benchmarks add it with ``register_driver_kind``.
DRIVER_CLASSES: dict[str, str] = {
    "docker": "cumulo.drivers.docker:DockerDriver",
    "openstack": "cumulo.drivers.openstack:OpenStackDriver",
}

AVAILABLE = "active"  # the status a registered local site gets


def register_driver_kind(kind: str, target: str) -> None:
    """Make sites of ``kind`` use the driver class ``"module:Class"``."""
    DRIVER_CLASSES[kind] = target


def site_info(
    site: Site, egress: EgressPolicy | None = None, secrets: SecretBox | None = None
) -> SiteInfo:
    return SiteInfo(
        name=site.name, endpoint=site.endpoint, images=site.images or {},
        options=site.options or {}, egress=egress or EgressPolicy(),
        credentials=site_credentials(site, secrets),
    )  # fmt: skip


def site_credentials(site: Site, secrets: SecretBox | None) -> str | None:
    """The site's credentials reference, opened (only a driver is given it)."""
    if not site.credentials or secrets is None:
        return None
    return secrets.open(site.credentials, Purpose.SITE_CREDENTIALS, site.name, legacy=True)


def make_driver(
    site: Site, egress: EgressPolicy | None = None, secrets: SecretBox | None = None
) -> Driver:
    target = DRIVER_CLASSES.get(site.kind)
    if target is None:
        raise SiteError(f"site {site.name}: no driver for site kind {site.kind!r}")
    module_name, class_name = target.split(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise SiteError(f"site {site.name}: driver {target} unavailable: {exc}") from exc
    try:
        return cls(site_info(site, egress, secrets))
    except SiteError:
        raise
    except Exception as exc:  # a backend library's error never leaves the engine
        raise SiteError(f"site {site.name}: cannot connect to {site.endpoint}: {exc}") from exc


def register_site(
    db: Database,
    name: str,
    kind: str,
    endpoint: str,
    images: Mapping[str, Mapping[str, str]],
    options: Mapping[str, Any] | None = None,
    status: str = AVAILABLE,
    quotas: Mapping[str, float] | None = None,
) -> None:
    """Create or refresh a public site's record (the embedded local site, tests)."""
    with db.session() as s:
        site = s.get(Site, name)
        if site is None:
            site = Site(name=name, kind=kind, flavors=[], quotas={}, capabilities={})
            s.add(site)
        if quotas is not None:
            site.quotas = dict(quotas)
        site.kind = kind
        site.endpoint = endpoint
        site.images = {d: dict(v) for d, v in images.items()}
        site.options = dict(options or {})
        site.status = status
        site.public = True
        site.updated_at = utcnow()
    invalidate(db)


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


def probe_and_register(
    db: Database,
    name: str,
    kind: str,
    endpoint: str,
    images: Mapping[str, Mapping[str, str]],
    options: Mapping[str, Any] | None = None,
) -> str | None:
    """Register the local site unless an admin defined it, probe it; return why it is down.

    A site of that name defined by an admin (registry file or ``/sites``) keeps its
    definition; one registered here before is refreshed (endpoint, images, options, quotas).
    """
    with db.session() as s:
        existing = s.get(Site, name)
        auto = existing is None or (existing.options or {}).get("registered_by") == "serve"
    if auto:
        options = {**(options or {}), "registered_by": "serve"}
        # A shared site is bounded from the start: quotas sized from this machine.
        register_site(db, name, kind, endpoint, images, options=options, quotas=machine_quotas())
    with db.session() as s:
        site = s.get(Site, name)
        assert site is not None
        s.expunge(site)
    problem, seconds = probe(site)
    record_probe(db, name, problem, seconds)
    return problem

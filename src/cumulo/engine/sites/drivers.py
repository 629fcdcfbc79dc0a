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
from cumulo.store.db import Database, utcnow
from cumulo.store.models import Site

# site kind -> "module:Class" of its driver. The ``sim`` test double is not here:
# tests and benchmarks add it with ``register_driver_kind``.
DRIVER_CLASSES: dict[str, str] = {"docker": "cumulo.drivers.docker:DockerDriver"}

AVAILABLE = "active"  # the status a registered local site gets


def register_driver_kind(kind: str, target: str) -> None:
    """Make sites of ``kind`` use the driver class ``"module:Class"``."""
    DRIVER_CLASSES[kind] = target


def site_info(site: Site, egress: EgressPolicy | None = None) -> SiteInfo:
    return SiteInfo(
        name=site.name, endpoint=site.endpoint, images=site.images or {},
        options=site.options or {}, egress=egress or EgressPolicy(),
    )  # fmt: skip


def make_driver(site: Site, egress: EgressPolicy | None = None) -> Driver:
    target = DRIVER_CLASSES.get(site.kind)
    if target is None:
        raise SiteError(f"site {site.name}: no driver for site kind {site.kind!r}")
    module_name, class_name = target.split(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise SiteError(f"site {site.name}: driver {target} unavailable: {exc}") from exc
    try:
        return cls(site_info(site, egress))
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


def probe(site: Site) -> tuple[str | None, float]:
    """Ping the site's backend: (why it failed or None, seconds taken)."""
    start = time.monotonic()
    try:
        make_driver(site).ping()
        problem = None
    except Exception as exc:  # any failure to reach the backend is a failed probe
        problem = str(exc) or type(exc).__name__
    return problem, time.monotonic() - start


def record_probe(db: Database, name: str, problem: str | None, seconds: float) -> None:
    with db.session() as s:
        site = s.get(Site, name)
        if site is None:
            return
        site.health_up = problem is None
        site.health_error = problem
        site.health_checked_at = utcnow()
        site.health_latency_ms = seconds * 1000
        site.health_failures = 0 if problem is None else (site.health_failures or 0) + 1
    invalidate(db)


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

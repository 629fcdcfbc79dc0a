"""The machine's own Docker engine as the public site ``local``: registered by
``cumulo serve`` (and tests) unless an admin defined a site of that name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.engine.sites.federation_cache import invalidate
from cumulo.engine.sites.machine_quotas import machine_quotas
from cumulo.engine.sites.probes import probe, record_probe
from cumulo.store.db import Database, utcnow
from cumulo.store.models import Site

AVAILABLE = "active"  # the status a registered local site gets


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

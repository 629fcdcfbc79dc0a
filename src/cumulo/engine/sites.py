"""Sites known to the engine: registration, the choice of a site, and their drivers.

The engine reaches a backend only through the ``Driver`` protocol; the class
for a site's kind is looked up by name here so no backend module is imported
statically (and a backend whose library is missing fails only its own sites).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cumulo.drivers.base import Driver, SiteInfo
from cumulo.errors import SiteError
from cumulo.store.db import Database, utcnow
from cumulo.store.models import Site

# site kind -> "module:Class" of its driver
DRIVER_CLASSES: dict[str, str] = {"docker": "cumulo.drivers.docker:DockerDriver"}

AVAILABLE = "AVAILABLE"
UNAVAILABLE = "UNAVAILABLE"


def site_info(site: Site) -> SiteInfo:
    return SiteInfo(
        name=site.name, endpoint=site.endpoint, images=site.images or {}, options=site.options or {}
    )


def make_driver(site: Site) -> Driver:
    target = DRIVER_CLASSES.get(site.kind)
    if target is None:
        raise SiteError(f"site {site.name}: no driver for site kind {site.kind!r}")
    module_name, class_name = target.split(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise SiteError(f"site {site.name}: driver {target} unavailable: {exc}") from exc
    try:
        return cls(site_info(site))
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
) -> None:
    """Create or refresh a site's record."""
    with db.session() as s:
        site = s.get(Site, name)
        if site is None:
            site = Site(name=name, kind=kind)
            s.add(site)
        site.kind = kind
        site.endpoint = endpoint
        site.images = {d: dict(v) for d, v in images.items()}
        site.options = dict(options or {})
        site.status = status
        site.updated_at = utcnow()


def choose_site(session: Session) -> Site:
    """The site a new attempt runs on.

    For now the single registered, available site (the local Docker engine);
    the federation issue replaces this one function with ranking by SLA,
    quota and health.
    """
    sites = session.scalars(select(Site).where(Site.status == AVAILABLE).order_by(Site.name)).all()
    if not sites:
        raise SiteError(
            "no site available: no Docker engine was reachable when cumulo started "
            "(start Docker, or set DOCKER_HOST, and restart cumulo)"
        )
    return sites[0]


def probe_and_register(
    db: Database,
    name: str,
    kind: str,
    endpoint: str,
    images: Mapping[str, Mapping[str, str]],
    options: Mapping[str, Any] | None = None,
) -> str | None:
    """Register a site, AVAILABLE if its backend answers; return why not, or None."""
    options = dict(options or {})
    site = Site(name=name, kind=kind, endpoint=endpoint, images=dict(images), options=options)
    problem: str | None = None
    try:
        make_driver(site).ping()
    except Exception as exc:  # any failure to reach the backend makes the site unavailable
        problem = str(exc) or type(exc).__name__
    status = UNAVAILABLE if problem else AVAILABLE
    register_site(db, name, kind, endpoint, images, options, status=status)
    return problem

"""Site drivers: the driver class of a site's kind, built with what it needs.

The engine reaches a backend only through the ``Driver`` protocol; the class
for a site's kind is looked up by name here so no backend module is imported
statically (and a backend whose library is missing fails only its own sites).
Which site a deployment goes to is ``cumulo.engine.sites.scheduling``'s business.
"""

from __future__ import annotations

import importlib

from cumulo.drivers.base import Driver, SiteInfo
from cumulo.egress import EgressPolicy
from cumulo.errors import SiteError
from cumulo.secrets import Purpose, SecretBox
from cumulo.store.models import Site

# site kind -> "module:Class" of its driver. The ``sim`` test double is not here:
# tests and benchmarks add it with ``register_driver_kind``.
DRIVER_CLASSES: dict[str, str] = {
    "docker": "cumulo.drivers.docker:DockerDriver",
    "openstack": "cumulo.drivers.openstack:OpenStackDriver",
}

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

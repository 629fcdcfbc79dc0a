"""Site drivers: the driver class of a site's kind, built with what it needs.

The engine reaches a backend only through the ``Driver`` protocol; the class
for a site's kind is looked up by name here so no backend module is imported
statically (and a backend whose library is missing fails only its own sites).
Which site a deployment goes to is ``cumulo.engine.sites.scheduling``'s business.
"""

from __future__ import annotations

import importlib
from typing import Any

from cumulo.drivers.base import Driver, OwnerLookup, SiteInfo
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
# What adds a site's S3 service (its ``s3`` definition) to the driver of its kind.
WITH_BUCKETS = "cumulo.drivers.object_storage.site_driver:with_buckets"


def register_driver_kind(kind: str, target: str) -> None:
    """Make sites of ``kind`` use the driver class ``"module:Class"``."""
    DRIVER_CLASSES[kind] = target


def site_info(
    site: Site,
    egress: EgressPolicy | None = None,
    secrets: SecretBox | None = None,
    owner_auth: OwnerLookup | None = None,
) -> SiteInfo:
    return SiteInfo(
        name=site.name, endpoint=site.endpoint, images=site.images or {},
        options=site.options or {}, egress=egress or EgressPolicy(),
        public_images=bool((site.capabilities or {}).get("public_images")),
        credentials=site_credentials(site, secrets), owner_auth=owner_auth,
        s3=site_s3(site, secrets),
    )  # fmt: skip


def site_credentials(site: Site, secrets: SecretBox | None) -> str | None:
    """The site's credentials reference, opened (only a driver is given it)."""
    if not site.credentials or secrets is None:
        return None
    return secrets.open(site.credentials, Purpose.SITE_CREDENTIALS, site.name, legacy=True)


def s3_context(site_name: str) -> str:
    """What the site's S3 credentials are sealed for (not its own credentials)."""
    return f"{site_name}/s3"


def site_s3(site: Site, secrets: SecretBox | None) -> dict[str, Any] | None:
    """The site's S3 service (``options.s3``) with its credentials reference opened."""
    stored = (site.options or {}).get("s3")
    if not isinstance(stored, dict) or not stored.get("endpoint"):
        return None
    sealed = stored.get("credentials")
    opened = (
        secrets.open(sealed, Purpose.SITE_CREDENTIALS, s3_context(site.name))
        if sealed and secrets is not None
        else None
    )
    return {**stored, "credentials": opened}


def make_driver(
    site: Site,
    egress: EgressPolicy | None = None,
    secrets: SecretBox | None = None,
    owner_auth: OwnerLookup | None = None,
) -> Driver:
    """``owner_auth``: the engine's lookup of a deployment's owner, for sites that act
    as the owner (Keystone federation: ``cumulo.engine.sites.owner_auth``)."""
    target = DRIVER_CLASSES.get(site.kind)
    if target is None:
        raise SiteError(f"site {site.name}: no driver for site kind {site.kind!r}")
    cls = _load(site, target)
    try:
        info = site_info(site, egress, secrets, owner_auth)
        driver = cls(info)
        # Without the secret box (a probe) the S3 keys stay sealed: the kind's driver alone.
        opened = info.s3 is not None and info.s3.get("credentials")
        return _load(site, WITH_BUCKETS)(driver, info) if opened else driver
    except SiteError:
        raise
    except Exception as exc:  # a backend library's error never leaves the engine
        raise SiteError(f"site {site.name}: cannot connect to {site.endpoint}: {exc}") from exc


def _load(site: Site, target: str) -> Any:
    module_name, name = target.split(":")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise SiteError(f"site {site.name}: driver {target} unavailable: {exc}") from exc

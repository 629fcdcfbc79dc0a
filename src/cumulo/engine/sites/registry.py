"""The site registry in the store: sites and SLAs from the registry file and ``/sites``.

Definitions (``site_definitions``) are checked here against what the engine
knows (driver kinds, existing sites) and stored; the scheduler's view of them
(``cumulo.federation``) is built by ``site_view`` and ``sla_view``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import RegistryFile, SiteDef, SlaDef
from cumulo.engine.sites.drivers import DRIVER_CLASSES, s3_context
from cumulo.engine.sites.federation_cache import invalidate
from cumulo.errors import BadRequest, Conflict, NotFound
from cumulo.federation import Flavor, Limits, SiteView, Sla
from cumulo.federation.machines import gives_full_vms
from cumulo.federation.registries import pull_settings
from cumulo.secrets import Purpose
from cumulo.store.db import Database, utcnow
from cumulo.store.models import Site
from cumulo.store.models import Sla as SlaRow


def describe(exc: ValidationError, where: str = "") -> str:
    """Pydantic's errors as ``where.field: message`` lines."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        path = ".".join(x for x in (where, loc) if x)
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        lines.append(f"{path}: {msg}" if path else msg)
    return "; ".join(lines)


def _check_kind(kind: str) -> None:
    if kind not in DRIVER_CLASSES:
        known = ", ".join(sorted(DRIVER_CLASSES))
        raise BadRequest(f"kind: unknown site kind {kind!r} (known: {known})")


def save_site(engine: Engine, d: SiteDef, *, replace: bool = False) -> Site:
    """Store a site; an existing one is replaced only with ``replace`` (else 409).

    The credentials reference is stored encrypted (``cumulo.secrets``) and never shown.
    """
    _check_kind(d.kind)
    db = engine.db
    endpoint = d.endpoint or (engine.settings.docker_host if d.kind == "docker" else "")
    with db.session() as s:
        site = s.get(Site, d.name)
        if site is not None and not replace and site.status != "removed":
            raise Conflict(f"site {d.name} already exists (replace it with PUT /sites/{d.name})")
        if site is None:
            site = Site(name=d.name, kind=d.kind)
            s.add(site)
        site.kind, site.endpoint, site.region = d.kind, endpoint, d.region
        site.status, site.public = d.status, d.public
        site.credentials = (
            engine.secrets.seal(d.credentials, Purpose.SITE_CREDENTIALS, d.name)
            if d.credentials
            else None
        )
        site.flavors = sorted(
            (f.stored() for f in d.flavors),
            key=lambda f: (f["gpus"], f["vcpus"], f["ram_mb"], f["disk_gb"]),
        )
        site.images = {dist: dict(v) for dist, v in d.images.items()}
        site.quotas = d.quotas.stored()
        site.capabilities = d.capabilities.model_dump()
        site.options = _default_options(engine, d)
        if d.s3 is not None:  # its keys sealed like the site's own credentials
            sealed = engine.secrets.seal(d.s3.credentials, Purpose.SITE_CREDENTIALS,
                                         s3_context(d.name))  # fmt: skip
            site.options["s3"] = {**d.s3.model_dump(exclude_none=True), "credentials": sealed}
        site.updated_at = utcnow()
        s.flush()
        s.expunge(site)
    invalidate(db)
    return site


def _default_options(engine: Engine, d: SiteDef) -> dict[str, Any]:
    """A Docker site's folders and DNS zone as for the local site, unless given."""
    options = dict(d.options)
    if d.kind == "docker":
        settings = engine.settings
        options.setdefault("work_dir", str(settings.data_dir.resolve() / "sites" / d.name))
        options.setdefault("dns_zone", settings.dns_zone)
    return options


def get_site(s: Session, name: str) -> Site:
    site = s.get(Site, name)
    if site is None:
        raise NotFound(f"no site named {name}")
    return site


def remove_site(db: Database, name: str) -> None:
    """Mark a site removed: never scheduled again, kept for its deployments' history."""
    with db.session() as s:
        site = get_site(s, name)
        site.status = "removed"
        site.updated_at = utcnow()
    invalidate(db)


def list_sites(s: Session, *, include_removed: bool = False) -> Sequence[Site]:
    query = select(Site).order_by(Site.name)
    if not include_removed:
        query = query.where(Site.status != "removed")
    return s.scalars(query).all()


def save_sla(db: Database, d: SlaDef, *, replace: bool = False) -> SlaRow:
    with db.session() as s:
        if s.get(Site, d.site) is None:
            raise BadRequest(f"site: no site named {d.site}")
        row = s.get(SlaRow, d.id)
        if row is not None and not replace:
            raise Conflict(f"SLA {d.id} already exists (replace it with PUT /slas/{d.id})")
        if row is None:
            row = SlaRow(id=d.id)
            s.add(row)
        row.group_name, row.site_name, row.priority = d.group, d.site, d.priority
        row.limits = d.limits.stored()
        row.starts_on, row.ends_on = d.start, d.end
        row.updated_at = utcnow()
        s.flush()
        s.expunge(row)
    invalidate(db)
    return row


def get_sla(s: Session, sla_id: str) -> SlaRow:
    row = s.get(SlaRow, sla_id)
    if row is None:
        raise NotFound(f"no SLA with id {sla_id}")
    return row


def remove_sla(db: Database, sla_id: str) -> None:
    with db.session() as s:
        s.delete(get_sla(s, sla_id))
    invalidate(db)


def list_slas(s: Session, group: str | None = None) -> Sequence[SlaRow]:
    query = select(SlaRow).order_by(SlaRow.group_name, SlaRow.id)
    if group is not None:
        query = query.where(SlaRow.group_name == group)
    return s.scalars(query).all()


def load_registry_file(engine: Engine, path: Path) -> tuple[int, int]:
    """Store every site and SLA of a registry file (replacing those of the same name).

    Raises ``BadRequest`` naming the file and the entry when it is not valid.
    """
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeError, yaml.YAMLError) as exc:
        raise BadRequest(f"{path}: cannot read the site registry: {exc}") from None
    if not isinstance(doc, dict):
        raise BadRequest(f"{path}: the site registry must be a mapping with 'sites' and 'slas'")
    try:
        registry = RegistryFile.model_validate(doc)
    except ValidationError as exc:
        raise BadRequest(f"{path}: {describe(exc)}") from None
    for i, site in enumerate(registry.sites):
        try:
            save_site(engine, site, replace=True)
        except BadRequest as exc:
            raise BadRequest(f"{path}: sites.{i} ({site.name}): {exc}") from None
    for i, sla in enumerate(registry.slas):
        try:
            save_sla(engine.db, sla, replace=True)
        except BadRequest as exc:
            raise BadRequest(f"{path}: slas.{i} ({sla.id}): {exc}") from None
    return len(registry.sites), len(registry.slas)


def _limits(stored: dict[str, Any] | None) -> Limits:
    if not stored:
        return Limits()
    return Limits(
        instances=stored.get("instances"),
        cores=stored.get("cores"),
        ram_mb=stored.get("ram_mb"),
        volume_gb=stored.get("volume_gb"),
    )


def site_view(site: Site | Row[Any]) -> SiteView:
    """The scheduler's view of a site (from its ORM object or a plain row)."""
    caps = site.capabilities or {}
    registry, allowed = pull_settings(site.options)
    return SiteView(
        name=site.name,
        kind=site.kind,
        status=site.status,
        public=bool(site.public),
        region=site.region,
        flavors=tuple(Flavor(**f) for f in site.flavors or ()),
        images=site.images or {},
        quotas=_limits(site.quotas),
        gpus=bool(caps.get("gpus", False)),
        public_ip=bool(caps.get("public_ip", True)),
        volumes=bool(caps.get("volumes", True)),
        public_images=bool(caps.get("public_images", False)),
        registry=registry,
        allowed_registries=allowed,
        full_vm=gives_full_vms(site.kind, caps.get("full_vm")),
        s3=bool((site.options or {}).get("s3")),
    )


def sla_view(row: SlaRow | Row[Any]) -> Sla:
    return Sla(
        id=row.id,
        group=row.group_name,
        site=row.site_name,
        priority=row.priority,
        limits=_limits(row.limits),
        start=row.starts_on,
        end=row.ends_on,
    )

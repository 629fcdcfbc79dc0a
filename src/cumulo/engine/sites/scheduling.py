"""Scheduling a deployment: its needs from the plan, the registry from the store, a decision.

The decision itself is ``cumulo.federation.schedule`` (pure); this module
gathers its inputs: the registry (cached while unchanged, see
``federation_cache``), attempt statistics (cached 10 s) and the usage that
quotas are checked against (always read fresh).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import select

from cumulo.engine.runtime import Engine
from cumulo.engine.sites.drivers import make_driver
from cumulo.engine.sites.federation_cache import cached
from cumulo.engine.sites.registry import site_view, sla_view
from cumulo.engine.sites.usage_book import UsageBook
from cumulo.errors import BadRequest
from cumulo.federation import (
    ComputeNeed,
    Decision,
    Federation,
    Health,
    ImageNeed,
    JudgeMemo,
    Needs,
    Placement,
    SiteStats,
    Usage,
    container_image,
    never_fits,
    schedule,
)
from cumulo.federation.machines import full_vm_nodes
from cumulo.federation.model import UNLIMITED, UsageLog
from cumulo.federation.object_storage import bucket_nodes
from cumulo.federation.screening import screen
from cumulo.store.federation_queries import recent_attempts, registry_version
from cumulo.store.models import Site
from cumulo.store.models import Sla as SlaRow
from cumulo.tosca.units import parse_size

COMPUTE = "tosca.nodes.Compute"
BLOCK_STORAGE = ("tosca.nodes.BlockStorage", "tosca.nodes.Storage.BlockStorage")
SLA_PLACEMENT = "tosca.policies.indigo.SlaPlacement"
# Verdicts of each kind kept in a deployment's stored explanation (a dry run shows all).
EXPLAIN_LIMIT = 25
STATS_SECONDS = 10.0
# Another process's change to a site or SLA is seen within this many seconds (the
# fingerprint scans the sites table: a thousand rows, at every decision otherwise).
VERSION_SECONDS = 1.0
# Request shapes (needs, group, manual choice) whose registry passes are kept.
SHAPES_KEPT = 256
# How long a Docker site's list of images is reused (an image built since shows after it).
IMAGES_SECONDS = 30.0
# Container node types whose image the site must pull or hold.
CONTAINER_TYPES = (
    "tosca.nodes.indigo.dockerRun",
    "tosca.nodes.indigo.DockerRun",
    "tosca.nodes.Container.Application.Docker",
    "tosca.nodes.indigo.Container.Application.Docker",
)
# cumulo's own images, built on each site by its set-up (scripts/build-images.sh): a
# missing one is the create's error, with the build hint, not the scheduler's.
OWN_IMAGES = "cumulo/"
log = logging.getLogger(__name__)


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _size(value: Any, unit: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / unit  # already in bytes
    if isinstance(value, str) and value.strip():
        try:
            return parse_size(value) / unit
        except ValueError:
            return 0.0
    return 0.0


def _text(value: Any) -> str | None:
    if value is None or value == "" or not isinstance(value, str | int | float):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()


def _public_ip(capabilities: dict[str, Any]) -> bool:
    endpoint = capabilities.get("endpoint") or {}
    return str(endpoint.get("network_name") or "").upper() == "PUBLIC"


def needs_of(plan: Any) -> Needs:
    """What the plan asks of a site: its instance-making nodes, its volumes."""
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    volumes, volume_gb = 0, 0.0
    images: dict[str, ImageNeed] = {}
    for inst in plan.instances:
        types = inst.types
        image = _container_image(inst)
        if image is not None and not image.startswith(OWN_IMAGES):
            images.setdefault(image, ImageNeed(inst.node, image))
        if any(t in BLOCK_STORAGE for t in types):
            volumes += 1
            volume_gb += _size((inst.properties or {}).get("size"), 1e9)
            continue
        caps = inst.capabilities or {}
        host = caps.get("host") or {}
        is_vm = COMPUTE in types
        # A container that is not hosted on a VM is an instance of its own.
        standalone = inst.host is None and any(
            host.get(k) not in (None, "") for k in ("num_cpus", "mem_size")
        )
        if not (is_vm or standalone):
            continue
        os_cap = caps.get("os") or {}
        key = (
            inst.node,
            _number(host.get("num_cpus")),
            _size(host.get("mem_size"), 1e6),
            _size(host.get("disk_size"), 1e9),
            int(_number(host.get("num_gpus"))),
            is_vm,
            _text(os_cap.get("distribution")),
            _text(os_cap.get("version")),
            is_vm and _public_ip(caps),
        )
        counts[key] += 1
    # The key is ComputeNeed's fields but count, in order.
    computes = tuple(ComputeNeed(k[0], n, *k[1:]) for k, n in counts.items())
    full_vm = full_vm_nodes(plan.instances)
    buckets = bucket_nodes(plan.instances)
    return Needs(computes, volumes, volume_gb, tuple(images.values()), full_vm, buckets)


def _container_image(inst: Any) -> str | None:
    if not any(t in CONTAINER_TYPES for t in inst.types):
        return None
    return container_image(inst.properties or {}, inst.artifacts or {})


def with_present_images(engine: Engine, fed: Federation, needs: Needs) -> Federation:
    """``fed`` with the images held by each Docker site that does not pull public
    images, when ``needs`` names any (one cached list call per site)."""
    if not needs.images:
        return fed
    present = {}
    for site in fed.sites:
        if (
            site.kind != "docker"
            or site.public_images
            or fed.health.get(site.name, Health()).up is False
        ):
            continue
        images = cached(
            engine.db, f"images:{site.name}", lambda n=site.name: _engine_images(engine, n),
            ttl=IMAGES_SECONDS,
        )  # fmt: skip
        if images is not None:
            present[site.name] = images
    return replace(fed, present_images=present)


def _engine_images(engine: Engine, name: str) -> frozenset[str] | None:
    """The images a Docker site's engine holds; None when it cannot be asked."""
    with engine.db.reader() as s:
        site = s.get(Site, name)
        if site is None:
            return None
        s.expunge(site)
    try:
        driver = make_driver(site, secrets=engine.secrets)
        if not hasattr(driver, "local_images"):
            return None
        with engine.steps.released():  # asks the site's engine
            return frozenset(driver.local_images())
    except Exception as exc:  # unreachable: the health probe's business, not the filter's
        log.info("site %s: cannot list its images: %s", name, exc)
        return None


def placement_of(plan: Any, requested_site: str | None) -> Placement:
    """The manual choice: an SlaPlacement policy's ``sla_id``, and the site asked for."""
    sla_id = None
    for policy in getattr(plan, "policies", None) or ():
        if policy.type == SLA_PLACEMENT or SLA_PLACEMENT in (getattr(policy, "types", ()) or ()):
            value = (policy.properties or {}).get("sla_id")
            if value not in (None, ""):
                sla_id = str(value)
    return Placement(sla_id=sla_id, site=requested_site or None)


def _registry(engine: Engine) -> tuple[tuple[Any, ...], tuple[Any, ...], dict[str, Health], bool]:
    """Site and SLA views, health, and whether any quota or SLA limit exists."""
    # Plain rows, not ORM objects: a thousand sites load several times faster.
    with engine.db.reader() as s:
        sites = s.execute(select(Site.__table__).where(Site.status != "removed")).all()
        slas = s.execute(select(SlaRow.__table__)).all()
    views = tuple(site_view(x) for x in sites)
    sla_views = tuple(sla_view(r) for r in slas)
    health = {x.name: Health(x.health_up, x.health_error, x.health_failures or 0) for x in sites}
    bounded = any(v.quotas != UNLIMITED for v in views) or any(
        v.limits != UNLIMITED for v in sla_views
    )
    return views, sla_views, health, bounded


def _stats(engine: Engine) -> dict[str, SiteStats]:
    ok: dict[str, int] = defaultdict(int)
    failed: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    with engine.db.reader() as s:
        rows = recent_attempts(s)
    for site, status, started, ended in rows:
        if status == "SUCCEEDED":
            ok[site] += 1
            if ended is not None:
                seconds[site] += (ended - started).total_seconds()
        else:
            failed[site] += 1
    return {
        site: SiteStats(ok[site], failed[site], seconds[site] / ok[site] if ok[site] else None)
        for site in set(ok) | set(failed)
    }


def _version(engine: Engine) -> Any:
    """The registry's fingerprint, read again at most once per ``VERSION_SECONDS`` (this
    process's own changes drop it at once: ``federation_cache.invalidate``)."""

    def read() -> Any:
        with engine.db.reader() as s:
            return registry_version(s)

    return cached(engine.db, "registry-version", read, ttl=VERSION_SECONDS)


def site_row(engine: Engine, name: str) -> Site | None:
    """The site's row, detached (shared: read it, never change it), or None if it is
    gone; read once per registry snapshot, not at every attempt."""
    rows = cached(engine.db, "site-rows", dict, version=_version(engine))
    if name not in rows:
        # Every site at once: deployments spread over a thousand sites would miss one by one.
        with engine.db.reader() as s:
            found = {site.name: site for site in s.scalars(select(Site))}
            s.expunge_all()
        rows.update(found)
        rows.setdefault(name, None)
    return rows[name]


def _cached_registry(
    engine: Engine,
) -> tuple[Any, tuple[tuple[Any, ...], tuple[Any, ...], dict[str, Health], bool]]:
    version = _version(engine)
    return version, cached(engine.db, "registry", lambda: _registry(engine), version=version)


def _kept(engine: Engine, version: Any, call: tuple[Any, ...], fn: Callable[..., Any]) -> Any:
    """``fn(fed, needs, group, today, placement)``, computed once per registry snapshot
    (``version``) and request shape: the usage-free passes over every site (``screen``
    for each decision, ``never_fits`` at each request) are not repeated per deployment.
    The registry part of ``fed`` is the one cached for ``version``; usage is not read."""
    what, fed, needs, group, today, placement = call
    shapes = cached(engine.db, "request-shapes", dict, version=version)
    key = (what, needs, group, today, placement, frozenset(fed.present_images.items()))
    if key not in shapes:
        if len(shapes) >= SHAPES_KEPT:  # many template shapes: start again, bounded memory
            shapes.clear()
        shapes[key] = fn(fed, needs, group, today, placement)
    return shapes[key]


def load_federation(engine: Engine, exclude_id: str | None = None) -> Federation:
    return _federation(engine, exclude_id)[1]


def _federation(engine: Engine, exclude_id: str | None) -> tuple[Any, Federation]:
    """The registry's fingerprint, and the federation with fresh usage (read only when a
    quota or SLA limit exists: one read transaction per decision then, for the usage
    rows changed since the last decision)."""
    version, (sites, slas, health, bounded) = _cached_registry(engine)
    group_usage: Mapping[tuple[str, str], Usage] = _NOTHING_USED
    site_usage: Mapping[str, Usage] = _NOTHING_USED
    log: UsageLog = _NO_CHANGES
    if bounded:  # without any quota or limit, usage matters to no verdict or score
        book = cached(engine.db, "usage-book", lambda: UsageBook(engine.db.dialect == "sqlite"),
                      ttl=float("inf"))  # fmt: skip
        with engine.db.direct_reader() as s:
            book.refresh(s)
            if exclude_id:
                group_usage, site_usage = book.without(s, exclude_id)
            else:
                group_usage, site_usage = book.group_usage, book.site_usage
        log = book
    stats = cached(engine.db, "stats", lambda: _stats(engine), ttl=STATS_SECONDS)
    return version, Federation(sites, slas, group_usage, site_usage, health, stats, usage_log=log)


class _NoChanges:
    """The usage log of a federation without quotas or limits: usage is never read."""

    generation = 0

    def changed_since(self, generation: int) -> set[str] | None:
        return set()


_NO_CHANGES, _NOTHING_USED = _NoChanges(), MappingProxyType({})


def decide(
    engine: Engine,
    plan: Any,
    group: str | None,
    requested_site: str | None,
    exclude_id: str | None = None,
) -> tuple[Decision, Needs]:
    needs = needs_of(plan)
    version, fed = _federation(engine, exclude_id)
    fed = with_present_images(engine, fed, needs)
    today = datetime.now(UTC).date()
    placement = placement_of(plan, requested_site)
    shape = (fed, needs, group, today, placement)
    screened = _kept(engine, version, ("screen", *shape), screen)
    memo = _kept(engine, version, ("verdicts", *shape), lambda *_: JudgeMemo())
    return schedule(fed, needs, group, today, placement, screened, memo), needs


def check_size(engine: Engine, plan: Any, group: str | None, site: str | None) -> None:
    """A deployment no open site could hold even empty (its quotas, flavors, the SLA's
    limits) is the request's fault: 400 naming the node and the limit."""
    version, (sites, slas, health, _) = _cached_registry(engine)
    today = datetime.now(UTC).date()
    needs = needs_of(plan)
    fed = with_present_images(engine, Federation(sites, slas, health=health), needs)
    placement = placement_of(plan, site)
    problem = _kept(engine, version, ("size", fed, needs, group, today, placement), never_fits)
    if problem:
        raise BadRequest(problem)


def check_placement(engine: Engine, plan: Any, group: str | None, site: str | None) -> None:
    """What the request itself gets wrong, known before any work: 400 with the reason.

    A deployment too large for every site open to it, or a manual choice that
    cannot be honoured.
    """
    check_size(engine, plan, group, site)
    if not placement_of(plan, site).manual:
        return
    decision, _ = decide(engine, plan, group, site)
    if decision.problem:
        raise BadRequest(f"placement: {decision.problem}")


def decision_values(decision: Decision, needs: Needs) -> dict[str, Any]:
    """The deployment's columns that keep the explanation and what it holds (for quotas)."""
    usage = needs.usage
    return {
        "scheduling": {"at": datetime.now(UTC).isoformat(), **decision.to_json(EXPLAIN_LIMIT)},
        "need_instances": usage.instances,
        "need_cores": usage.cores,
        "need_ram_mb": usage.ram_mb,
        "need_volume_gb": usage.volume_gb,
    }

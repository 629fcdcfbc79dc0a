"""The federation's data as the scheduler sees it: plain, immutable values.

Nothing here touches the store or a driver; the engine builds these from the
database and hands them to ``cumulo.federation.scheduler``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from cumulo.federation.registries import DEFAULT_ALLOWED_REGISTRIES


class SiteStatus(StrEnum):
    """A site's administrative status (the Federation Registry's values)."""

    ACTIVE = "active"
    MAINTENANCE = "maintenance"  # skipped by the scheduler until it is active again
    LIMITED = "limited"  # usable, ranked after the active sites of the same priority
    REMOVED = "removed"  # kept for the history of its deployments; never used


@dataclass(frozen=True, slots=True)
class Usage:
    """Resources held (or asked for): instances, cores, RAM in MB, volume GB."""

    instances: int = 0
    cores: float = 0.0
    ram_mb: float = 0.0
    volume_gb: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.instances + other.instances,
            self.cores + other.cores,
            self.ram_mb + other.ram_mb,
            self.volume_gb + other.volume_gb,
        )


NO_USAGE = Usage()


@dataclass(frozen=True, slots=True)
class Limits:
    """Upper bounds on a ``Usage``; ``None`` is unlimited."""

    instances: int | None = None
    cores: float | None = None
    ram_mb: float | None = None
    volume_gb: float | None = None

    def exceeded(self, used: Usage, asked: Usage) -> str | None:
        """Why ``used + asked`` does not fit, naming the first limit it passes, or None."""
        # Spelled out per field: the scheduler calls this for every site (speed matters).
        lim = self.instances
        if lim is not None and asked.instances and used.instances + asked.instances > lim:
            return _over("instances", used.instances, asked.instances, lim, "")
        lim = self.cores
        if lim is not None and asked.cores and used.cores + asked.cores > lim:
            return _over("cores", used.cores, asked.cores, lim, "")
        lim = self.ram_mb
        if lim is not None and asked.ram_mb and used.ram_mb + asked.ram_mb > lim:
            return _over("ram", used.ram_mb, asked.ram_mb, lim, " MB")
        lim = self.volume_gb
        if lim is not None and asked.volume_gb and used.volume_gb + asked.volume_gb > lim:
            return _over("volume", used.volume_gb, asked.volume_gb, lim, " GB")
        return None

    def free_fraction(self, used: Usage, asked: Usage) -> float:
        """The smallest share left free after ``asked`` over the bounded resources (1.0 if none)."""
        free = 1.0
        if self.instances:
            free = min(free, 1.0 - (used.instances + asked.instances) / self.instances)
        if self.cores:
            free = min(free, 1.0 - (used.cores + asked.cores) / self.cores)
        if self.ram_mb:
            free = min(free, 1.0 - (used.ram_mb + asked.ram_mb) / self.ram_mb)
        if self.volume_gb:
            free = min(free, 1.0 - (used.volume_gb + asked.volume_gb) / self.volume_gb)
        return max(free, 0.0)


def _over(label: str, used: float, asked: float, limit: float, unit: str) -> str:
    return f"{label}: {_n(used)} used + {_n(asked)} asked > {_n(limit)}{unit}"


UNLIMITED = Limits()


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@dataclass(frozen=True, slots=True)
class Flavor:
    name: str
    vcpus: float
    ram_mb: float
    disk_gb: float = 0.0
    gpus: int = 0


@dataclass(frozen=True, slots=True)
class SiteView:
    """A site as the scheduler needs it."""

    name: str
    kind: str = "docker"
    status: str = SiteStatus.ACTIVE
    # Usable without an SLA by deployments that name no group.
    public: bool = False
    region: str | None = None
    # Empty: the site sizes instances as asked (a container's limits), any size fits.
    flavors: tuple[Flavor, ...] = ()
    # distribution -> version -> image reference
    images: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    quotas: Limits = UNLIMITED
    gpus: bool = False
    public_ip: bool = True
    volumes: bool = True
    # Pulls public images (a registry is reachable); else only the images it holds.
    public_images: bool = False
    # Where it pulls from (``registries.py``): its own registry for Docker Hub's names,
    # and the other registry hosts an image name may carry.
    registry: str | None = None
    allowed_registries: tuple[str, ...] = DEFAULT_ALLOWED_REGISTRIES
    # Its machines have a kernel of their own (see federation/machines.py).
    full_vm: bool = False
    # It declares an S3 service (see federation/object_storage.py).
    s3: bool = False


@dataclass(frozen=True, slots=True)
class Sla:
    """An agreement binding a group to a site, with a priority (higher first) and limits."""

    id: str
    group: str
    site: str
    priority: int = 0
    limits: Limits = UNLIMITED
    start: date | None = None
    end: date | None = None

    def inactive_reason(self, today: date) -> str | None:
        if self.start is not None and today < self.start:
            return f"SLA {self.id} starts on {self.start.isoformat()}"
        if self.end is not None and today > self.end:
            return f"SLA {self.id} ended on {self.end.isoformat()}"
        return None


@dataclass(frozen=True, slots=True)
class Health:
    """The last probe of a site: ``up`` is None when it was never probed."""

    up: bool | None = None
    error: str | None = None
    failures: int = 0  # consecutive failed probes


@dataclass(frozen=True, slots=True)
class SiteStats:
    """Measured from past attempts on the site."""

    successes: int = 0
    failures: int = 0
    mean_create_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class ComputeNeed:
    """One instance-making node of the template (repeated ``count`` times)."""

    node: str
    count: int = 1
    cpus: float = 0.0
    ram_mb: float = 0.0
    disk_gb: float = 0.0
    gpus: int = 0
    # A VM needs an OS image: of this distribution and version when given, else any.
    needs_image: bool = False
    distribution: str | None = None
    version: str | None = None
    public_ip: bool = False


@dataclass(frozen=True, slots=True)
class ImageNeed:
    """A container image a node runs (``repository:tag``)."""

    node: str
    image: str


@dataclass(frozen=True, slots=True)
class Needs:
    """What a deployment asks of a site."""

    computes: tuple[ComputeNeed, ...] = ()
    volumes: int = 0
    volume_gb: float = 0.0
    images: tuple[ImageNeed, ...] = ()
    # The nodes that need a full virtual machine (see federation/machines.py).
    full_vm: tuple[str, ...] = ()
    # The nodes that are S3 buckets (see federation/object_storage.py).
    buckets: tuple[str, ...] = ()

    @property
    def usage(self) -> Usage:
        return Usage(
            instances=sum(c.count for c in self.computes),
            cores=sum(c.cpus * c.count for c in self.computes),
            ram_mb=sum(c.ram_mb * c.count for c in self.computes),
            volume_gb=self.volume_gb,
        )


@dataclass(frozen=True, slots=True)
class Placement:
    """A manual choice: an SLA (``tosca.policies.indigo.SlaPlacement``) and/or a site."""

    sla_id: str | None = None
    site: str | None = None

    @property
    def manual(self) -> bool:
        return bool(self.sla_id or self.site)


class UsageLog(Protocol):
    """Counts the changes to a federation's usage maps, and names the sites they touched."""

    @property
    def generation(self) -> int: ...

    def changed_since(self, generation: int) -> set[str] | None:
        """The sites whose usage changed since ``generation`` (None: too long ago to say)."""


@dataclass(frozen=True, slots=True)
class Federation:
    """Everything the scheduler reads, loaded once per decision."""

    sites: tuple[SiteView, ...]
    slas: tuple[Sla, ...] = ()
    # (group, site) -> what the group's live deployments hold there
    group_usage: Mapping[tuple[str, str], Usage] = field(default_factory=dict)
    # site -> what every live deployment holds there
    site_usage: Mapping[str, Usage] = field(default_factory=dict)
    health: Mapping[str, Health] = field(default_factory=dict)
    stats: Mapping[str, SiteStats] = field(default_factory=dict)
    # site -> the images its engine holds (sites that can list them; others are absent)
    present_images: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Which sites' usage changed, when the usage maps are kept up to date in place
    usage_log: UsageLog | None = None


@dataclass(slots=True)
class Verdict:
    """One site's verdict: ``reason`` says why it was rejected (empty when usable)."""

    site: str
    usable: bool
    reason: str = ""
    sla_id: str | None = None
    priority: int = 0
    limited: bool = False
    score: float = 0.0
    success_rate: float | None = None
    create_seconds: float | None = None
    free: float = 1.0
    flavors: dict[str, str] = field(default_factory=dict)  # node -> flavor name
    # The rank order of a usable verdict (see ``schedule``); not part of its meaning.
    key: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    # ``explain()``, kept: a verdict is shown by every decision that reuses it.
    reason_shown: str | None = field(default=None, repr=False, compare=False)

    def explain(self) -> str:
        if not self.usable:
            return self.reason
        parts = [f"SLA {self.sla_id}" if self.sla_id else "public site"]
        parts.append(f"priority {self.priority}")
        if self.limited:
            parts.append("status limited")
        measured = (
            "no attempts yet"
            if self.success_rate is None
            else (f"{self.success_rate:.0%} of attempts succeeded")
        )
        parts.append(measured)
        if self.create_seconds is not None:
            parts.append(f"creates in {self.create_seconds:.1f} s")
        parts.append(f"{self.free:.0%} of its quota free")
        return f"usable: {', '.join(parts)}; score {self.score:.3f}"

    def _explained(self) -> str:
        self.reason_shown = self.explain()  # two threads may both write it: the same text
        return self.reason_shown

    def to_json(self, rank: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "site": self.site,
            "verdict": "usable" if self.usable else "rejected",
            "reason": self.reason_shown or self._explained(),
        }
        if self.sla_id:
            out["sla"] = self.sla_id
        if self.usable:
            out.update(rank=rank, priority=self.priority, score=round(self.score, 4))
            if self.flavors:
                out["flavors"] = dict(self.flavors)
        return out

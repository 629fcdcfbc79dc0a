"""What an admin writes to define a site or an SLA (the YAML file and ``/sites``, ``/slas``).

Sizes are TOSCA scalar-units (``"4 GB"``) or plain numbers (RAM in MB, disk
and volumes in GB). Unknown fields are rejected, so a typo is a clear error.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cumulo.federation.registries import allowed_registries_problem, registry_problem
from cumulo.tosca.units import parse_size

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
STATUSES = ("active", "maintenance", "limited", "removed")


def _checked_name(v: str) -> str:
    if not NAME.match(v):
        raise ValueError("must be 1-63 letters, digits, '.', '_' or '-'")
    return v


def _size(value: Any, unit: float, what: str) -> float:
    """A size in ``unit`` bytes: numbers are taken as already in that unit."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a size such as '4 GB' or a number")
    if isinstance(value, int | float):
        result = float(value)
    else:
        try:
            result = parse_size(str(value)) / unit
        except ValueError as exc:
            raise ValueError(f"{what}: {exc}") from None
    if result < 0:
        raise ValueError(f"{what} must not be negative")
    return result


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FlavorDef(_Strict):
    name: str = Field(min_length=1)
    vcpus: float = Field(gt=0)
    ram: Any = Field(description="RAM: a size ('4 GB') or MB")
    disk: Any = Field(default=0, description="Disk: a size ('20 GB') or GB")
    gpus: int = Field(default=0, ge=0)

    @field_validator("ram")
    @classmethod
    def _ram(cls, v: Any) -> float:
        return _size(v, 1e6, "ram")

    @field_validator("disk")
    @classmethod
    def _disk(cls, v: Any) -> float:
        return _size(v, 1e9, "disk")

    def stored(self) -> dict[str, Any]:
        return {
            "name": self.name, "vcpus": self.vcpus, "ram_mb": self.ram,
            "disk_gb": self.disk, "gpus": self.gpus,
        }  # fmt: skip


class LimitsDef(_Strict):
    """Limits of an SLA or quotas of a site; absent is unlimited."""

    instances: int | None = Field(default=None, ge=0)
    cores: float | None = Field(default=None, ge=0)
    ram: Any = Field(default=None, description="a size ('16 GB') or MB")
    volume: Any = Field(default=None, description="a size ('100 GB') or GB")

    @field_validator("ram")
    @classmethod
    def _ram(cls, v: Any) -> float | None:
        return None if v is None else _size(v, 1e6, "ram")

    @field_validator("volume")
    @classmethod
    def _volume(cls, v: Any) -> float | None:
        return None if v is None else _size(v, 1e9, "volume")

    def stored(self) -> dict[str, Any]:
        values = {
            "instances": self.instances, "cores": self.cores,
            "ram_mb": self.ram, "volume_gb": self.volume,
        }  # fmt: skip
        return {k: v for k, v in values.items() if v is not None}


class CapabilitiesDef(_Strict):
    gpus: bool = False
    public_ip: bool = True
    volumes: bool = True
    public_images: bool = Field(
        default=False,
        description="Pulls public container images; else only the images the site holds",
    )
    full_vm: bool | None = Field(
        default=None,
        description="Its machines have a kernel of their own, as cluster software needs "
        "(unset: true for kind openstack, false otherwise)",
    )


class S3Def(_Strict):
    """The site's S3 service, on which ``tosca.nodes.indigo.S3Bucket`` nodes are made."""

    endpoint: str = Field(description="Where S3 answers, e.g. http://127.0.0.1:7480")
    credentials: str = Field(
        description="The S3 admin's keys: keys:ACCESS:SECRET, env:NAME or file:PATH (sealed)"
    )
    region: str | None = None

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", v):
            raise ValueError("must be an http:// or https:// URL")
        return v.rstrip("/")


class SiteDef(_Strict):
    """A site: its driver kind, endpoint, catalogue of flavors and images, quotas, status."""

    name: str
    kind: str = "docker"
    endpoint: str = Field(default="", description="e.g. unix:///var/run/docker.sock")
    credentials: str | None = Field(
        default=None, description="Where the site's secret lives, e.g. env:OS_TOKEN (sealed)"
    )
    region: str | None = None
    status: Literal["active", "maintenance", "limited", "removed"] = "active"
    public: bool = Field(default=False, description="Open to deployments without a group")
    flavors: list[FlavorDef] = Field(default_factory=list)
    images: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="distribution -> version -> image"
    )
    quotas: LimitsDef = Field(default_factory=LimitsDef)
    capabilities: CapabilitiesDef = Field(default_factory=CapabilitiesDef)
    options: dict[str, Any] = Field(default_factory=dict, description="Driver options")
    s3: S3Def | None = Field(default=None, description="The site's S3 service (object storage)")

    _name = field_validator("name")(lambda cls, v: _checked_name(v))

    @field_validator("images", mode="before")
    @classmethod
    def _images(cls, v: Any) -> Any:
        # YAML reads `12:` as a number: versions and distributions are text, lower case.
        if isinstance(v, dict):
            return {
                str(d).lower(): (
                    {_version(ver): img for ver, img in vs.items()} if isinstance(vs, dict) else vs
                )
                for d, vs in v.items()
            }
        return v

    @field_validator("options")
    @classmethod
    def _options(cls, v: dict[str, Any]) -> dict[str, Any]:
        if "s3" in v:  # its keys must be sealed: only the s3 field seals them
            raise ValueError("s3 is not a driver option: declare it as the site's s3")
        problem = ("registry" in v and registry_problem(v["registry"])) or (
            "allowed_registries" in v and allowed_registries_problem(v["allowed_registries"])
        )
        if problem:
            raise ValueError(f"options.{problem}")
        return v

    @model_validator(mode="after")
    def _flavor_names_unique(self) -> SiteDef:
        names = [f.name for f in self.flavors]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"flavor names repeated: {', '.join(sorted(dup))}")
        return self


def _version(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip().lower()


class SlaDef(_Strict):
    """An SLA: a group may use a site, with a priority (higher first) and limits."""

    id: str
    group: str = Field(min_length=1)
    site: str
    priority: int = 0
    limits: LimitsDef = Field(default_factory=LimitsDef)
    start: date | None = None
    end: date | None = None

    _id = field_validator("id")(lambda cls, v: _checked_name(v))

    @model_validator(mode="after")
    def _dates(self) -> SlaDef:
        if self.start and self.end and self.end < self.start:
            raise ValueError("end is before start")
        return self


class RegistryFile(_Strict):
    """The registry file (``CUMULO_SITES_FILE``): ``sites:`` and ``slas:`` lists."""

    sites: list[SiteDef] = Field(default_factory=list)
    slas: list[SlaDef] = Field(default_factory=list)

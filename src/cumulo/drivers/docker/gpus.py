"""GPUs of a VM-like container: Docker device requests, given only on an engine
with NVIDIA's runtime.

A node asks for GPUs with its ``host`` capability's ``num_gpus``. The scheduler
sends such a node only to a site whose ``capabilities.gpus`` is true; this
module is the driver's side: the request's count as a Docker ``DeviceRequest``
(``capabilities=[["gpu"]]``, which NVIDIA's container toolkit serves), refused
with a clear error when the engine has no ``nvidia`` runtime (a site marked as
having GPUs whose engine cannot give them), and the one relaxation of the
site's created-container rules this needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from docker.types import DeviceRequest

from cumulo.drivers.base import NodeRequest
from cumulo.drivers.docker.created_policy import SiteRules
from cumulo.errors import SiteError

NVIDIA_RUNTIME = "nvidia"
DEVICE_REQUESTS = "DeviceRequests"  # the HostConfig field the site's rules check


def gpu_count(request: NodeRequest) -> int:
    """The GPUs the node's ``host`` capability asks for (0: none)."""
    value = (request.capabilities.get("host") or {}).get("num_gpus")
    if value in (None, ""):
        return 0
    bad = SiteError(f"node {request.node}: capabilities.host.num_gpus {value!r} is not a count")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise bad
    try:
        count = float(value)
    except ValueError:
        raise bad from None
    if count < 0 or not count.is_integer():
        raise bad
    return int(count)


def device_requests(count: int) -> list[DeviceRequest]:
    """The ``device_requests`` of ``containers.create`` for ``count`` GPUs (none for 0)."""
    return [DeviceRequest(count=count, capabilities=[["gpu"]])] if count > 0 else []


def has_nvidia_runtime(info: Mapping[str, Any]) -> bool:
    """Whether the engine (``docker info``) has NVIDIA's runtime."""
    return NVIDIA_RUNTIME in (info.get("Runtimes") or {})


def require_gpus(node: str, site: str, count: int, info: Mapping[str, Any]) -> None:
    """Refuse a GPU request the engine cannot serve, before anything is made."""
    if count and not has_nvidia_runtime(info):
        runtimes = ", ".join(sorted(info.get("Runtimes") or {})) or "none"
        raise SiteError(
            f"node {node}: asks for {count} GPU(s) but the Docker engine of site {site} has "
            f"no NVIDIA runtime (its runtimes: {runtimes}); an admin installs NVIDIA's "
            "container toolkit there, or marks the site as having no GPUs"
        )


def allowing_gpus(rules: SiteRules, asked: bool) -> SiteRules:
    """The site's rules for a container that asked for GPUs: its device requests pass."""
    if not asked:
        return rules
    return dataclasses.replace(rules, relaxed=rules.relaxed | {DEVICE_REQUESTS})

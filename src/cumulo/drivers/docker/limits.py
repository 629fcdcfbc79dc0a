"""CPU and memory limits from a node's ``host`` capability (num_cpus, mem_size)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.errors import SiteError
from cumulo.tosca.units import parse_size

MIN_MEMORY = 6 * 1024 * 1024  # the Docker engine refuses less


def host_limits(node: str, capabilities: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """Keyword arguments for ``containers.create``: ``nano_cpus`` and ``mem_limit``."""
    host = capabilities.get("host") or {}
    limits: dict[str, int] = {}
    cpus = host.get("num_cpus")
    if cpus not in (None, ""):
        try:
            value = float(cpus)
        except (TypeError, ValueError):
            value = 0.0
        if value <= 0:
            raise SiteError(
                f"node {node}: capabilities.host.num_cpus {cpus!r} is not a positive number"
            )
        limits["nano_cpus"] = int(value * 1e9)
    mem = host.get("mem_size")
    if mem not in (None, ""):
        size = _size(node, mem)
        if size < MIN_MEMORY:
            raise SiteError(
                f"node {node}: capabilities.host.mem_size {mem!r} is below the 6 MiB "
                "a container needs"
            )
        limits["mem_limit"] = size
    return limits


def _size(node: str, value: Any) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)  # already in bytes
    try:
        return parse_size(str(value))
    except ValueError as exc:
        raise SiteError(f"node {node}: capabilities.host.mem_size {value!r}: {exc}") from None

"""Block storage as every driver reads it from a template: which nodes are
storage, which relationship attaches them, and where they may be mounted."""

from __future__ import annotations

import posixpath
from typing import Any

from cumulo.drivers.base import NodeRequest
from cumulo.errors import SiteError

STORAGE_TYPES = frozenset(
    {
        "tosca.nodes.BlockStorage",
        "tosca.nodes.Storage.BlockStorage",
        "tosca.nodes.indigo.BlockStorage",
    }
)
ATTACHES_TO = "tosca.relationships.AttachesTo"
# Mounting over these would break the node.
_SYSTEM_PATHS = {"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root",
                 "/run", "/sbin", "/sys", "/usr", "/var", "/home", "/tmp"}  # fmt: skip


def is_storage(request: NodeRequest) -> bool:
    return any(t in STORAGE_TYPES for t in request.types)


def mount_point(node: str, where: str, location: Any) -> str:
    """``location`` as a mount point: absolute, normalized, never a system path."""
    if not isinstance(location, str) or not location.startswith("/"):
        raise SiteError(
            f"node {node}: {where}: location {location!r} must be an absolute path, e.g. /data"
        )
    path = posixpath.normpath(location)
    if path in _SYSTEM_PATHS or path.startswith(("/proc/", "/sys/", "/dev/")):
        raise SiteError(f"node {node}: {where}: cannot mount a volume over {path}")
    return path

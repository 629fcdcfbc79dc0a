"""Turning a planned ``NodeInstance`` into the ``NodeRequest`` a driver realizes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cumulo.drivers.base import NodeRequest


def _plain(value: Any) -> Any:
    """Mappings as dicts, for drivers that serialise what they are given."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def node_request(
    deployment_id: str,
    instance: Any,
    *,
    host_physical_id: str | None,
    ssh_user: str,
    ssh_public_keys: tuple[str, ...],
    physical_ids: Mapping[tuple[str, int], str] | None = None,
) -> NodeRequest:
    artifacts = getattr(instance, "artifacts", None) or {}
    return NodeRequest(
        deployment_id=deployment_id,
        node=instance.node,
        index=instance.index,
        type=instance.type,
        types=tuple(instance.types),
        properties=_plain(instance.properties or {}),
        capabilities=_plain(instance.capabilities or {}),
        artifacts={name: _artifact(a) for name, a in artifacts.items()},
        host_physical_id=host_physical_id,
        ssh_user=ssh_user,
        ssh_public_keys=ssh_public_keys,
        requirements=_requirements(instance, physical_ids or {}),
    )


def _requirements(
    instance: Any, physical_ids: Mapping[tuple[str, int], str]
) -> tuple[dict[str, Any], ...]:
    """Each requirement with its target's physical id (same index, else instance 0)."""
    found = []
    for req in getattr(instance, "requirements", None) or ():
        target = getattr(req, "node", None)
        pid = physical_ids.get((target, instance.index)) or physical_ids.get((target, 0))
        found.append(
            {
                "name": req.name,
                "node": target,
                "relationship": req.relationship,
                "properties": _plain(req.properties or {}),
                "target_physical_id": pid,
            }
        )
    return tuple(found)


def _artifact(artifact: Any) -> dict[str, Any]:
    if isinstance(artifact, Mapping):
        return _plain(artifact)
    # A dataclass-like artifact definition.
    fields = ("type", "file", "repository", "deploy_path", "description")
    return {f: getattr(artifact, f) for f in fields if getattr(artifact, f, None) is not None}


def spec_digest(request: NodeRequest) -> str:
    """What the driver is asked to make, as a digest: an update recreates a node when it changes.

    The host's physical id, the index and the ``scalable`` capability (count,
    removal_list) are left out: they say where, which and how many, not what.
    """
    capabilities = {k: v for k, v in request.capabilities.items() if k != "scalable"}
    what = {
        "type": request.type,
        "properties": request.properties,
        "capabilities": capabilities,
        "artifacts": request.artifacts,
        "environment": request.environment,
        "ssh": [request.ssh_user, list(request.ssh_public_keys)],
    }
    text = json.dumps(what, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()

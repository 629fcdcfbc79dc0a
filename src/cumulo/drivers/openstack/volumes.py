"""Block storage as Cinder volumes, attached to their server at boot.

A BlockStorage node becomes a volume of its ``size`` (GB, at least 1) and of
the site's ``volume_type`` option, named and tagged (metadata) like servers, so
``create`` finds it again. The Compute that AttachesTo it boots with it
(a block device mapping), and cloud-init mounts it at the relationship's
``location`` (``userdata.py``). ``delete_on_termination: false`` keeps the volume
when the deployment is deleted (metadata ``cumulo_keep``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from openstack.connection import Connection

from cumulo.drivers.base import NodeRequest
from cumulo.drivers.openstack import tags
from cumulo.drivers.storage import ATTACHES_TO, mount_point
from cumulo.errors import SiteError
from cumulo.tosca.units import parse_size

PREFIX = "volume:"  # physical ids of volumes; servers' are bare ids
READY = "available"
FAILED = ("error", "error_deleting")


def volume_of(physical_id: str) -> str | None:
    return physical_id.removeprefix(PREFIX) if physical_id.startswith(PREFIX) else None


def size_gb(request: NodeRequest) -> int:
    value = request.properties.get("size")
    if value in (None, ""):
        return 1
    try:
        size = float(value) if isinstance(value, int | float) else parse_size(str(value))
    except ValueError as exc:
        raise SiteError(f"node {request.node}: properties.size {value!r}: {exc}") from None
    return max(1, math.ceil(size / 1e9))


def find_volume(conn: Connection, request: NodeRequest) -> Any:
    for volume in conn.block_storage.volumes(name=tags.object_name(request)):
        meta = volume.metadata or {}
        if (meta.get(tags.DEPLOYMENT), meta.get(tags.NODE), meta.get(tags.INDEX)) == (
            request.deployment_id,
            request.node,
            str(request.index),
        ):
            return volume
    return None


def ensure_volume(conn: Connection, request: NodeRequest, site: str, volume_type: Any) -> Any:
    found = find_volume(conn, request)
    if found is not None:
        return found
    keep = request.properties.get("delete_on_termination") in (False, "false", "False", "no")
    meta = {**tags.metadata(request, site), tags.KEEP: str(keep).lower()}
    extra = {"volume_type": str(volume_type)} if volume_type else {}
    return conn.block_storage.create_volume(
        size=size_gb(request), name=tags.object_name(request), metadata=meta, **extra
    )


def volume_attributes(volume: Any) -> dict[str, Any]:
    return {"volume_id": volume.id, "size": volume.size, "status": volume.status}


def attachments(request: NodeRequest) -> dict[str, str]:
    """volume id -> mount point, for the node's AttachesTo requirements."""
    found: dict[str, str] = {}
    for req in request.requirements:
        rel = str(req.get("relationship") or "")
        if rel != ATTACHES_TO and not rel.endswith("AttachesTo"):
            continue
        where = f"requirements.{req.get('name')} (to {req.get('node')})"
        volume = volume_of(str(req.get("target_physical_id") or ""))
        if volume is None:
            raise SiteError(f"node {request.node}: {where}: the target is not a block storage")
        props: Mapping[str, Any] = req.get("properties") or {}
        found[volume] = mount_point(request.node, where, props.get("location"))
    return found


def block_devices(image_id: str, mounts: Mapping[str, str]) -> list[dict[str, Any]]:
    """Nova's block device mapping: the image as the boot disk, then the volumes,
    attached and never deleted by Nova (delete removes them, unless kept)."""
    boot = {"uuid": image_id, "source_type": "image", "destination_type": "local",
            "boot_index": 0, "delete_on_termination": True}  # fmt: skip
    return [boot] + [
        {"uuid": vid, "source_type": "volume", "destination_type": "volume",
         "boot_index": -1, "delete_on_termination": False}
        for vid in mounts
    ]  # fmt: skip


def deployment_volumes(conn: Connection, deployment_id: str) -> list[Any]:
    return [
        v
        for v in conn.block_storage.volumes()
        if (v.metadata or {}).get(tags.DEPLOYMENT) == deployment_id
    ]

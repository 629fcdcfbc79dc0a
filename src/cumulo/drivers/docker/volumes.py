"""Block storage as named volumes: made by the BlockStorage node, mounted by the VM.

A ``BlockStorage`` node (normative or INDIGO's) becomes a Docker named volume,
labelled like the containers so that ``create`` finds it again and
``delete_deployment`` removes it, unless its ``delete_on_termination``
property is false (then it is kept, still labelled, for the user to reuse or
remove). The ``local`` volume driver cannot enforce a size: the size asked for
is recorded (label and attribute), not a quota. A Compute that AttachesTo the
node mounts the volume at the relationship's ``location``; the volume lives
outside the container, so its data outlive stop and start.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import docker.errors

from cumulo.drivers.base import NodeRequest
from cumulo.drivers.docker import labels as lbl
from cumulo.drivers.storage import ATTACHES_TO, mount_point
from cumulo.errors import SiteError
from cumulo.tosca.units import parse_size

VOLUME = "volume"
PREFIX = "volume:"  # physical ids of volumes; containers' are bare ids
SIZE = "cumulo.size"
KEEP = "cumulo.keep"


def physical_id(name: str) -> str:
    return PREFIX + name


def volume_of(physical: str) -> str | None:
    """The volume name of a volume's physical id, or None for a container's."""
    return physical.removeprefix(PREFIX) if physical.startswith(PREFIX) else None


def volume_labels(request: NodeRequest, site: str) -> dict[str, str]:
    size = request.properties.get("size")
    keep = request.properties.get("delete_on_termination") in (False, "false", "False", "no")
    labels = {**lbl.instance_labels(request, site), lbl.KIND: VOLUME, KEEP: str(keep).lower()}
    if size not in (None, ""):
        labels[SIZE] = str(_bytes(request.node, size))
    return labels


def _bytes(node: str, value: Any) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    try:
        return parse_size(str(value))
    except ValueError as exc:
        raise SiteError(f"node {node}: properties.size {value!r}: {exc}") from None


def volume_attributes(volume_attrs: Mapping[str, Any]) -> dict[str, Any]:
    labels = volume_attrs.get("Labels") or {}
    size = labels.get(SIZE)
    return {
        "volume_id": volume_attrs.get("Name"),
        "size": int(size) if size else None,
        "kept_on_delete": labels.get(KEEP) == "true",
    }


def mounts(request: NodeRequest) -> dict[str, dict[str, str]]:
    """The ``volumes`` argument of ``containers.create`` for the node's AttachesTo."""
    found: dict[str, dict[str, str]] = {}
    for req in request.requirements:
        rel = str(req.get("relationship") or "")
        if rel != ATTACHES_TO and not rel.endswith(".AttachesTo") and rel != "AttachesTo":
            continue
        where = f"requirements.{req.get('name')} (to {req.get('node')})"
        name = volume_of(str(req.get("target_physical_id") or ""))
        if name is None:
            raise SiteError(f"node {request.node}: {where}: the target is not a block storage")
        location = (req.get("properties") or {}).get("location")
        found[name] = {"bind": mount_point(request.node, where, location), "mode": "rw"}
    return found


# -- on the engine ----------------------------------------------------------


def create_volume(client: Any, request: NodeRequest, site: str) -> tuple[str, dict[str, Any]]:
    """Make (or find again: same name, same labels) the node's volume."""
    labels = volume_labels(request, site)
    name = lbl.container_name(request)
    try:
        volume = client.volumes.get(name)
    except docker.errors.NotFound:
        volume = client.volumes.create(name=name, driver="local", labels=labels)
    else:
        mine = volume.attrs.get("Labels") or {}
        if mine.get(lbl.DEPLOYMENT) != request.deployment_id:
            raise SiteError(
                f"node {request.node}: a volume named {name} exists on site {site} "
                "and belongs to something else"
            )
    return physical_id(volume.name), volume_attributes(volume.attrs)


def remove_volume(client: Any, name: str) -> None:
    """Remove a volume; already gone is success."""
    with contextlib.suppress(docker.errors.NotFound):
        client.api.remove_volume(name, force=True)


def remove_deployment_volumes(client: Any, deployment_id: str, site: str) -> list[str]:
    """Remove the deployment's volumes on ``site``, except those asked to be kept."""
    filters = lbl.label_filter({lbl.DEPLOYMENT: deployment_id, lbl.SITE: site})
    found = (client.api.volumes(filters=filters) or {}).get("Volumes") or []
    removed = []
    for volume in found:
        if (volume.get("Labels") or {}).get(KEEP) == "true":
            continue
        remove_volume(client, volume["Name"])
        removed.append(physical_id(volume["Name"]))
    return removed

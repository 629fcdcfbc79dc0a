"""What a probe reads from the cloud for the registry: flavors, images, limits, usage.

The role of INDIGO's CMDB and SLAM: the scheduler filters and ranks with what
the cloud really offers. Images count when Glance says which OS they hold
(the ``os_distro`` and ``os_version`` properties); limits of -1 are unlimited.
"""

from __future__ import annotations

from typing import Any

from openstack.connection import Connection

from cumulo.drivers.openstack.sizing import cloud_flavor, smallest_first

# cumulo's name -> (compute or volume limits' attribute of the limit, of the usage)
COMPUTE_LIMITS = {
    "instances": ("max_total_instances", "total_instances_used"),
    "cores": ("max_total_cores", "total_cores_used"),
    "ram_mb": ("max_total_ram_size", "total_ram_used"),
}
VOLUME_LIMITS = {"volume_gb": ("max_total_volume_gigabytes", "total_gigabytes_used")}


def read_inventory(conn: Connection) -> dict[str, Any]:
    flavors = smallest_first([cloud_flavor(f) for f in conn.compute.flavors(details=True)])
    images: dict[str, dict[str, str]] = {}
    for image in conn.image.images(status="active"):
        distro, version = getattr(image, "os_distro", None), getattr(image, "os_version", None)
        if distro and version:
            images.setdefault(str(distro).lower(), {})[str(version).lower()] = image.name
    limits: dict[str, float | None] = {}
    usage: dict[str, float] = {}
    _read(conn.compute.get_limits().absolute, COMPUTE_LIMITS, limits, usage)
    _read(conn.block_storage.get_limits().absolute, VOLUME_LIMITS, limits, usage)
    return {
        "flavors": [
            {
                "name": f.name,
                "vcpus": f.vcpus,
                "ram_mb": f.ram_mb,
                "disk_gb": f.disk_gb,
                "gpus": f.gpus,
            }
            for f in flavors
        ],
        "images": images,
        "limits": limits,
        "usage": usage,
    }


def _read(
    absolute: Any,
    names: dict[str, tuple[str, str]],
    limits: dict[str, float | None],
    usage: dict[str, float],
) -> None:
    for ours, (limit_attr, used_attr) in names.items():
        limit = getattr(absolute, limit_attr, None)
        limits[ours] = None if limit is None or limit < 0 else float(limit)
        usage[ours] = float(getattr(absolute, used_attr, None) or 0)

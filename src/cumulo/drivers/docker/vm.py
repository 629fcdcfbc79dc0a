"""Compute nodes as VM-like containers: image by OS, accounts, attributes.

The image (``cumulo/vm-debian``, built by ``scripts/build-images.sh``) runs
``cumulo-init``, which creates the accounts listed in ``CUMULO_ACCOUNTS``
("NAME SUDO KEY" lines) and then runs sshd.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.drivers.base import NodeRequest, SiteInfo
from cumulo.drivers.docker import labels as lbl
from cumulo.drivers.docker.gpus import device_requests, gpu_count
from cumulo.drivers.docker.limits import host_limits
from cumulo.drivers.docker.ports import (
    PortRequest,
    check_port_count,
    parse_ports,
    private_addresses,
    published_ports,
)
from cumulo.drivers.docker.site_mounts import site_binds
from cumulo.drivers.docker.spec import VM, ContainerSpec
from cumulo.drivers.docker.volumes import mounts
from cumulo.drivers.docker_images import DEFAULT_DISTRIBUTION, DEFAULT_IMAGES, DEFAULT_VERSION
from cumulo.drivers.node_accounts import accounts, os_users_attribute
from cumulo.errors import ImageNotFound

SSH = "22/tcp"
ACCOUNTS_ENV = "CUMULO_ACCOUNTS"


def site_images(site: SiteInfo) -> Mapping[str, Mapping[str, str]]:
    return site.images or DEFAULT_IMAGES


def offers(images: Mapping[str, Mapping[str, str]]) -> str:
    return ", ".join(f"{d} {v}" for d, versions in images.items() for v in versions) or "nothing"


def choose_image(request: NodeRequest, site: SiteInfo) -> str:
    """The image for the node's ``os`` capability, or ``ImageNotFound`` listing the offers.

    An image the site offers is taken as is; else the distribution and version
    (an image the site lacks beside them is a hint only: INFN's templates name
    ``ubuntu`` and an image of their cloud). Neither given: the site's default OS.
    An image the site lacks with no distribution is refused, never replaced.
    """
    images = site_images(site)
    os_cap = request.capabilities.get("os") or {}
    wanted_image = os_cap.get("image")
    offered = sorted({i for v in images.values() for i in v.values()})
    if wanted_image and str(wanted_image) in offered:
        return str(wanted_image)
    if wanted_image and not os_cap.get("distribution"):
        # an image alone names nothing else to run instead: never a silent default
        raise ImageNotFound(
            f"node {request.node}: site {site.name} does not offer the image "
            f"{str(wanted_image)!r}; it offers: {', '.join(offered) or 'nothing'}"
        )
    distribution = str(os_cap.get("distribution") or "").strip().lower()
    version = _version_text(os_cap.get("version"))
    if not distribution:
        distribution = (
            DEFAULT_DISTRIBUTION if DEFAULT_DISTRIBUTION in images else next(iter(images), "")
        )
    versions = images.get(distribution) or {}
    if versions and not version:
        version = DEFAULT_VERSION if DEFAULT_VERSION in versions else next(iter(versions))
    image = versions.get(version)
    if image is None:
        asked = " ".join(x for x in (distribution, version) if x)
        raise ImageNotFound(
            f"node {request.node}: site {site.name} does not offer the operating system "
            f"{asked!r}; it offers: {offers(images)}"
        )
    return image


def _version_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().lower()


def accounts_env(entries: list[tuple[str, bool, list[str]]]) -> str:
    lines = []
    for name, sudo, keys in entries:
        for key in keys or ["-"]:
            lines.append(f"{name} {int(sudo)} {key}")
    return "\n".join(lines)


def vm_ports(request: NodeRequest) -> list[PortRequest]:
    """SSH, plus the ports the ``endpoint`` capability opens (a web server the
    node's configuration installs, say), each on a free port of 127.0.0.1."""
    endpoint = request.capabilities.get("endpoint") or {}
    wanted = parse_ports(request.node, "capabilities.endpoint.ports", endpoint.get("ports"))
    found = [PortRequest(22), *(p for p in wanted if p.key != SSH)]
    check_port_count(request.node, "capabilities.endpoint.ports", len(found))
    return found


def vm_spec(request: NodeRequest, site: SiteInfo) -> ContainerSpec:
    entries = accounts(request)
    return ContainerSpec(
        kind=VM,
        image=choose_image(request, site),
        environment={**dict(request.environment), ACCOUNTS_ENV: accounts_env(entries)},
        ports=vm_ports(request),
        limits=host_limits(request.node, request.capabilities),
        hostname=lbl.hostname(request.node),
        labels={lbl.KIND: VM, lbl.SSH_USER: request.ssh_user},
        volumes=mounts(request),
        device_requests=device_requests(gpu_count(request)),
        binds=site_binds(site),
    )


def vm_attributes(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Runtime attributes of a VM-like container, from its inspect data alone."""
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    user = labels.get(lbl.SSH_USER, "")
    entries = _accounts_from_env((attrs.get("Config") or {}).get("Env") or [])
    ports = published_ports(attrs)
    ssh_port = ports.get(SSH)
    owner_keys = next((keys for name, _, keys in entries if name == user), [])
    credential: dict[str, Any] = {"user": user, "token_type": "private_key"}
    if owner_keys:
        credential["public_key"] = owner_keys[0]
    return {
        "public_address": ["127.0.0.1"],
        "private_address": private_addresses(attrs),
        "ssh_port": ssh_port,
        "ssh_account": user,
        "ports": ports,
        "endpoint": {"credential": [credential], "ports": ports},
        "os_users": os_users_attribute(entries),
        # attached block storage: volume name -> mount point
        "volumes": {
            m["Name"]: m["Destination"]
            for m in attrs.get("Mounts") or []
            if m.get("Type") == "volume" and m.get("Name")
        },
    }


def _accounts_from_env(env: list[str]) -> list[tuple[str, bool, list[str]]]:
    value = next((e.split("=", 1)[1] for e in env if e.startswith(ACCOUNTS_ENV + "=")), "")
    found: dict[str, tuple[bool, list[str]]] = {}
    for line in value.splitlines():
        name, _, rest = line.partition(" ")
        sudo, _, key = rest.partition(" ")
        entry = found.setdefault(name, (sudo == "1", []))
        if key and key != "-":
            entry[1].append(key)
    return [(n, s, k) for n, (s, k) in found.items()]

"""The test cloud's catalogue, and the files it leaves for clients: clouds.yaml and
cumulo's sites registry file (the format of cumulo.engine.sites.definitions.RegistryFile)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

AUTH_URL = "http://127.0.0.1:5000/v3"
CLOUD = "cumulo-test"
GPU_ALIAS = "nvidia-v100"  # nova.conf [pci] alias; no such device here

# RAM in MB, disk in GB. A GPU flavor says how many through pci_passthrough:alias
# ("ALIAS:COUNT"), as GPU flavors of real clouds do; openstacksdk shows it in extra_specs.
FLAVORS: list[dict[str, Any]] = [
    {"name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1},
    {"name": "m1.small", "vcpus": 1, "ram": 2048, "disk": 20},
    {"name": "m1.medium", "vcpus": 2, "ram": 4096, "disk": 40},
    {"name": "m1.large", "vcpus": 4, "ram": 8192, "disk": 80},
    {"name": "g1.gpu", "vcpus": 8, "ram": 32768, "disk": 100, "gpus": 1,
     "extra_specs": {"pci_passthrough:alias": f"{GPU_ALIAS}:1"}},
]  # fmt: skip

IMAGES = {  # name -> (os_distro, os_version)
    "ubuntu-20.04": ("ubuntu", "20.04"),
    "ubuntu-22.04": ("ubuntu", "22.04"),
    "debian-12": ("debian", "12"),
}


def _write(path: Path, data: dict[str, Any], mode: int) -> None:
    """Written with its mode from the start (clouds.yaml holds passwords), then renamed."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(data, f, sort_keys=False)
    os.chmod(tmp, mode)
    tmp.replace(path)


def _cloud(username: str, password: str, project: str) -> dict[str, Any]:
    return {
        "auth_type": "password",
        "auth": {
            "auth_url": AUTH_URL, "username": username, "password": password,
            "project_name": project, "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region_name": "RegionOne",
        "interface": "public",
        "identity_api_version": 3,
    }  # fmt: skip


def write_clouds_yaml(tc: Path, cumulo_pw: str, admin_pw: str) -> Path:
    path = tc / "clouds.yaml"
    clouds = {
        CLOUD: _cloud("cumulo", cumulo_pw, "cumulo"),
        f"{CLOUD}-admin": _cloud("admin", admin_pw, "admin"),
    }
    _write(path, {"clouds": clouds}, 0o600)
    return path


def write_sites_yaml(tc: Path, clouds_yaml: Path) -> Path:
    images: dict[str, dict[str, str]] = {}
    for name, (distro, version) in IMAGES.items():
        images.setdefault(distro, {})[version] = name
    site = {
        "name": "test-cloud",
        "kind": "openstack",
        "endpoint": AUTH_URL,
        "credentials": f"clouds:{CLOUD}",
        "public": True,
        "flavors": [
            {k: f.get(k, 0) for k in ("name", "vcpus", "ram", "disk", "gpus")} for f in FLAVORS
        ],
        "images": images,
        "options": {
            "clouds_yaml": str(clouds_yaml.resolve()),
            "cloud": CLOUD,
            "network": "private",
            "floating_ip_pool": "public",
            "volume_type": "fake",
        },
    }
    path = tc / "sites.yaml"
    _write(path, {"sites": [site]}, 0o644)
    return path

"""The server's cloud-init user data: accounts with their keys, volumes mounted.

Accounts are the owner's (``ssh_user`` with the deployment's keys, sudo) and
the node's ``os_users``, checked as on the local site
(``cumulo.drivers.node_accounts``: valid names, one-line keys). No
keypair object is made on the cloud: nothing to leave behind. A Cinder volume
attached to the server is found by its id (``/dev/disk/by-id/virtio-<id>``),
formatted if blank and mounted at its ``location``.
"""

from __future__ import annotations

import base64

import yaml

from cumulo.drivers.base import NodeRequest
from cumulo.drivers.node_accounts import accounts
from cumulo.errors import SiteError

SUDO = "ALL=(ALL) NOPASSWD:ALL"
MAX_USER_DATA = 65535  # Nova's limit on the encoded user data


def cloud_config(request: NodeRequest, mounts: dict[str, str]) -> dict[str, object]:
    """The cloud-config document; ``mounts`` maps volume id -> mount point."""
    users: list[object] = ["default"]
    for name, sudo, keys in accounts(request):
        user: dict[str, object] = {"name": name, "shell": "/bin/bash", "lock_passwd": True}
        if sudo:
            user["sudo"] = SUDO
        if keys:
            user["ssh_authorized_keys"] = keys
        users.append(user)
    doc: dict[str, object] = {"users": users}
    if mounts:
        devices = {vid: f"/dev/disk/by-id/virtio-{vid[:20]}" for vid in mounts}
        doc["fs_setup"] = [
            {"device": dev, "filesystem": "ext4", "overwrite": False} for dev in devices.values()
        ]
        doc["mounts"] = [
            [devices[vid], path, "auto", "defaults,nofail", "0", "2"]
            for vid, path in mounts.items()
        ]
    return doc


def user_data(request: NodeRequest, mounts: dict[str, str]) -> str:
    """The user data as Nova wants it (base64 of ``#cloud-config`` YAML)."""
    text = "#cloud-config\n" + yaml.safe_dump(cloud_config(request, mounts), sort_keys=False)
    encoded = base64.b64encode(text.encode()).decode("ascii")
    if len(encoded) > MAX_USER_DATA:
        raise SiteError(f"node {request.node}: the accounts and keys are too long for user data")
    return encoded

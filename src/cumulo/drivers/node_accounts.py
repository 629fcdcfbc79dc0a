"""The accounts a Compute node gets, whatever the site: the owner's, then ``os_users``.

Every driver that makes a VM creates these (the local site through its
``cumulo-init``, a cloud through cloud-init user data), and checks them the
same way: valid account names, one-line keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from cumulo.drivers.base import NodeRequest
from cumulo.errors import SiteError

_ACCOUNT_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def accounts(request: NodeRequest) -> list[tuple[str, bool, list[str]]]:
    """(name, sudo, public keys) of every account: the owner's, then ``os_users``."""
    result = [(request.ssh_user, True, [k.strip() for k in request.ssh_public_keys if k.strip()])]
    users = request.properties.get("os_users") or []
    if not isinstance(users, list):
        raise SiteError(f"node {request.node}: properties.os_users must be a list of users")
    for i, user in enumerate(users):
        if not isinstance(user, Mapping):
            raise SiteError(f"node {request.node}: properties.os_users[{i}] is not a user")
        name = user.get("os_user_name") or user.get("name")
        sudo = user.get("os_user_add_to_sudoers", user.get("sudo", False))
        key = user.get("os_user_ssh_public_key") or user.get("ssh_key")
        result.append(
            (str(name or ""), sudo in (True, "true", "True", "yes"), [str(key)] if key else [])
        )
    for i, (name, _, keys) in enumerate(result):
        where = "the SSH user" if i == 0 else f"properties.os_users[{i - 1}]"
        if not _ACCOUNT_NAME.match(name):
            raise SiteError(f"node {request.node}: {where}: {name!r} is not a valid account name")
        if any("\n" in k or "\r" in k for k in keys):
            raise SiteError(f"node {request.node}: {where}: an SSH key must be a single line")
    return result


def os_users_attribute(
    entries: list[tuple[str, bool, list[str]]],
) -> list[dict[str, object]]:
    """The ``os_users`` runtime attribute (INDIGO's shape) of the accounts made."""
    return [
        {
            "os_user_name": name,
            "os_user_add_to_sudoers": sudo,
            "os_user_ssh_public_key": keys[0] if keys else None,
        }
        for name, sudo, keys in entries
    ]

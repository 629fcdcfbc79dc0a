"""The read-only host directories a site lends every VM-like node (CVMFS-like).

An admin names them in the site's ``readonly_mounts`` option, ``{NAME: host
path}``; each is mounted read-only at ``/NAME`` on every VM-like container of
the site, e.g. ``{cvmfs: /srv/cvmfs}`` gives the nodes ``/cvmfs``. Only the
admin's option says which host paths: nothing a user sends reaches this module.
The created-container check lets exactly these binds through, read-only.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from typing import Any

from cumulo.drivers.base import SiteInfo
from cumulo.drivers.docker.created_policy import SiteRules
from cumulo.drivers.storage import mount_point
from cumulo.errors import SiteError

OPTION = "readonly_mounts"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def site_binds(site: SiteInfo) -> dict[str, dict[str, str]]:
    """The ``volumes`` entries (host path -> read-only bind) of the site's option."""
    given = site.options.get(OPTION) or {}
    where = f"site {site.name}: option {OPTION}"
    if not isinstance(given, Mapping):
        raise SiteError(f"{where} must map names to host paths, e.g. {{cvmfs: /srv/cvmfs}}")
    binds: dict[str, dict[str, str]] = {}
    for name, path in given.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise SiteError(f"{where}: {name!r} is not a valid name (a-z, 0-9, '.', '_', '-')")
        if not isinstance(path, str) or not os.path.isabs(path):
            raise SiteError(f"{where}: {name}: {path!r} is not an absolute host path")
        if not os.path.isdir(path):
            raise SiteError(f"{where}: {name}: the host path {path} is not a directory")
        try:  # the same system paths as for a volume are off limits
            target = mount_point("", "", f"/{name}")
        except SiteError:
            raise SiteError(f"{where}: {name}: cannot mount over /{name}") from None
        binds[path] = {"bind": target, "mode": "ro"}
    return binds


def allowing_binds(rules: SiteRules, binds: Mapping[str, Any]) -> SiteRules:
    """The site's rules with its read-only mounts' host paths among the bind roots."""
    if not binds:
        return rules
    roots = tuple(os.path.realpath(p) for p in binds)
    return dataclasses.replace(rules, bind_roots=rules.bind_roots + roots)

"""The Ansible roles a node's operations use, installed into the run's own folder first.

INDIGO's types list them as artifacts of type ``tosca.artifacts.AnsibleGalaxy.role``
(``file: indigo-dc.nfs,master``: a Galaxy name and a version; or where the role
is). Before the node's first operation runs, each one is installed with
``ansible-galaxy role install --no-deps -p <run folder>/roles``, and the playbooks
find them there (``ANSIBLE_ROLES_PATH``): never in a shared path, removed with
the run's folder.

Where a role comes from:

- a URL of a role archive (``https://host/path/name.tar.gz[,NAME]``): resolved
  like a playbook URL (the import map, else fetched by cumulo itself when network
  playbooks are on, only where the egress policy allows), then installed from
  the local file, named ``NAME`` or after the archive;
- a Galaxy name (``namespace.role[,version]``): the role an admin installed in
  ``roles/`` of a playbook folder is copied (``ansible-galaxy`` would reach Galaxy
  and GitHub on its own, outside the egress policy: cumulo never lets it).

A role that cannot be had fails the node naming the role and why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cumulo.configure.playbooks import fetch_file, find_playbook
from cumulo.configure.variables import SYSTEM_PATH
from cumulo.egress import EgressPolicy
from cumulo.errors import CumuloError

ROLE_ARTIFACT = "tosca.artifacts.AnsibleGalaxy.role"
MAX_ROLE_BYTES = 20 << 20
INSTALL_TIMEOUT = 120
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
_GALAXY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*\.[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_ARCHIVE = re.compile(r"\.(tar\.gz|tgz|tar)$")


class RoleError(CumuloError):
    """A role an operation needs cannot be fetched or installed."""


@dataclass(frozen=True)
class RoleSources:
    """Where roles may come from (the configurator's settings)."""

    folders: tuple[Path, ...]  # the playbook folders; admin-installed roles in their roles/
    import_map: Mapping[str, Path]
    allow_network: bool
    egress: EgressPolicy


def role_specs(instance: Any, evaluate: Callable[[Any], Any]) -> list[str]:
    """The ``file`` of each Galaxy role artifact of the instance, in the template's order."""
    found = []
    for artifact in (getattr(instance, "artifacts", None) or {}).values():
        if str(artifact.get("type") or "").endswith(ROLE_ARTIFACT):
            value = artifact.get("file")
            found.append(str(evaluate(value) if isinstance(value, dict) else value).strip())
    return found


def install_roles(specs: Sequence[str], sources: RoleSources, folder: Path) -> Path | None:
    """Install every role of ``specs`` into ``folder/roles``; that folder, or None if none."""
    if not specs:
        return None
    roles = folder / "roles"
    roles.mkdir(mode=0o700, exist_ok=True)
    for spec in specs:
        try:
            _install(spec, sources, folder, roles)
        except CumuloError as exc:
            raise RoleError(f"role {spec}: {str(exc).removeprefix(f'role {spec}: ')}") from None
    return roles


def _install(spec: str, sources: RoleSources, folder: Path, roles: Path) -> None:
    source, _, rest = spec.partition(",")
    if "://" in source:
        name = rest.split(",")[-1].strip() or _ARCHIVE.sub("", PurePosixPath(source).name)
        if not _NAME.match(name):
            raise RoleError(f"{name!r} is not a role name (give it: URL,NAME)")
        archive = _archive(source, sources, folder)
        _galaxy_install(f"{archive},,{name}", roles, folder)
        return
    if not _GALAXY.match(source):
        raise RoleError("not a Galaxy name (namespace.role[,version]) nor a URL of a role archive")
    for base in sources.folders:
        installed = base / "roles" / source
        if (installed / "tasks").is_dir() or (installed / "meta").is_dir():
            shutil.copytree(installed, roles / source, symlinks=True, dirs_exist_ok=True)
            return
    raise RoleError(
        "cumulo does not download roles from Ansible Galaxy (ansible-galaxy's downloads would "
        "bypass the egress policy): give the role as a URL of its archive (.tar.gz), or an "
        "admin installs it in roles/ of a playbook folder (CUMULO_PLAYBOOK_DIRS)"
    )


def _archive(url: str, sources: RoleSources, folder: Path) -> Path:
    mapped = any(url.startswith(prefix) for prefix in sources.import_map)
    if mapped:
        return find_playbook(url, (), sources.import_map, False, folder)
    return fetch_file(url, "role", sources.allow_network, folder, sources.egress, MAX_ROLE_BYTES)


def _galaxy_install(requirement: str, roles: Path, folder: Path) -> None:
    home = folder / "galaxy-home"
    home.mkdir(mode=0o700, exist_ok=True)
    (home / "ansible.cfg").touch(0o600)
    command = [
        shutil.which("ansible-galaxy", path=_tools_path()) or "ansible-galaxy",
        "role", "install", "--no-deps", "-p", str(roles), requirement,
    ]  # fmt: skip
    env = {"PATH": _tools_path(), "HOME": str(home), "LANG": "C.UTF-8",
           "ANSIBLE_CONFIG": str(home / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=INSTALL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise RoleError(f"not installed within {INSTALL_TIMEOUT} s") from None
    if done.returncode != 0:
        said = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        raise RoleError(f"ansible-galaxy could not install it: {' / '.join(said[-3:])}")


def _tools_path() -> str:
    return f"{Path(sys.executable).parent}:{SYSTEM_PATH}"

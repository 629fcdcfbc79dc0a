"""A compose service's mounts and env files: named volumes of the project, no host paths.

A shared site has no host bind mounts by default (``./data:/data`` too): a user
uses a named volume, declared under the file's ``volumes:``. A site whose policy
lists ``host_path_roots`` allows binds under them, checked where the path REALLY
resolves (the real path of the source against the real paths of the roots, so a
symlink cannot lead out) and always mounted read-only, so that no container can
write a symlink under a root that a later bind would follow.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cumulo.drivers.docker.compose_refusal import Refusal, as_map

DOCKER_SOCKET = "docker.sock"
BIND_PREFIXES = ("/", ".", "~")  # how compose tells a host path from a volume name
NO_BINDS = (
    "host bind mounts are not allowed on this site: use a named volume declared under volumes:"
)


def real_roots(roots: tuple[str, ...]) -> tuple[Path, ...]:
    return tuple(Path(os.path.realpath(r)) for r in roots)


def host_path(
    refuse: Refusal,
    where: str,
    source: str,
    project_dir: Path,
    roots: tuple[Path, ...],
    allow_socket: bool,
) -> str:
    """The real path of a host ``source``, or a refusal when it is not under a root."""
    if DOCKER_SOCKET in source and not allow_socket:
        refuse(where, "mounting the Docker socket is not allowed")
    if not roots:
        refuse(where, f"{source}: {NO_BINDS}")
    if source.startswith("~"):
        refuse(where, f"host path {source} is outside the site's host path roots")
    real = Path(os.path.realpath(project_dir / source))  # absolute sources stay absolute
    if not any(real == root or real.is_relative_to(root) for root in roots):
        refuse(where, f"host path {source} (really {real}) is outside the site's host path roots")
    if DOCKER_SOCKET in real.name and not allow_socket:
        refuse(where, "mounting the Docker socket is not allowed")
    return str(real)


def service_mounts(
    refuse: Refusal,
    where: str,
    volumes: Any,
    declared: set[str],
    project_dir: Path,
    roots: tuple[Path, ...],
    allow_socket: bool,
) -> list[Any]:
    """The service's ``volumes`` as they will run: binds resolved and read-only."""
    if volumes in (None, ""):
        return []
    if not isinstance(volumes, list):
        refuse(where, "must be a list of mounts")
    return [
        _mount(refuse, f"{where}[{i}]", v, declared, project_dir, roots, allow_socket)
        for i, v in enumerate(volumes)
    ]


def _mount(
    refuse: Refusal,
    where: str,
    volume: Any,
    declared: set[str],
    project_dir: Path,
    roots: tuple[Path, ...],
    allow_socket: bool,
) -> Any:
    if isinstance(volume, str):
        parts = volume.split(":")
        if len(parts) == 1:
            return volume  # an anonymous volume at that path
        if len(parts) > 3:
            refuse(where, f"{volume!r} is not source:target[:mode]")
        source, target, mode = parts[0], parts[1], parts[2] if len(parts) == 3 else ""
        if source.startswith(BIND_PREFIXES):
            real = host_path(refuse, where, source, project_dir, roots, allow_socket)
            if set(mode.split(",")) - {"", "ro", "rw", "z", "Z"}:
                refuse(where, f"mount options {mode!r} are not allowed on a host path")
            return f"{real}:{target}:ro"
        _declared(refuse, where, source, declared)
        return volume
    if not isinstance(volume, Mapping):
        refuse(where, "is not a volume")
    kind, source = volume.get("type", "volume"), str(volume.get("source") or "")
    if kind == "bind":
        real = host_path(refuse, where, source, project_dir, roots, allow_socket)
        bind = as_map(refuse, f"{where}.bind", volume.get("bind"))
        if bind.get("propagation") not in (None, "rprivate", "private"):
            refuse(where, "bind propagation is not allowed")
        return {**volume, "source": real, "read_only": True}
    if kind == "volume":
        if source:
            _declared(refuse, where, source, declared)
        return dict(volume)
    if kind == "tmpfs":
        return dict(volume)
    refuse(where, f"mounts of type {kind!r} are not allowed")


def _declared(refuse: Refusal, where: str, name: str, declared: set[str]) -> None:
    if DOCKER_SOCKET in name:
        refuse(where, "mounting the Docker socket is not allowed")
    if name not in declared:
        refuse(
            where,
            f"volume {name!r} is not declared under the file's volumes: "
            "only the deployment's own volumes can be mounted",
        )


def env_files(
    refuse: Refusal, where: str, value: Any, project_dir: Path, roots: tuple[Path, ...]
) -> list[str]:
    """``env_file`` entries, each a host file under a root (none by default)."""
    entries = value if isinstance(value, list) else [] if value in (None, "") else [value]
    found = []
    for i, entry in enumerate(entries):
        path = entry.get("path") if isinstance(entry, Mapping) else entry
        if not roots:
            refuse(
                f"{where}[{i}]",
                "env files are host files, not allowed on this site: "
                "give the variables under environment:",
            )
        found.append(host_path(refuse, f"{where}[{i}]", str(path), project_dir, roots, False))
    return found

"""Finding the playbook an operation names: a path in a playbook folder, or a URL.

A relative path is looked up in the playbook folders (the catalogue's
templates folder, then ``CUMULO_PLAYBOOK_DIRS``) and must stay inside the
folder it is found in: ``../`` or a symbolic link that leads out is refused,
as is an absolute path. A URL is resolved like a TOSCA import: by the import
map to a local folder, else fetched when network imports and network
playbooks are both allowed (size limit, timeout, and only where the egress
policy allows: ``cumulo.egress``) into the run's folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from cumulo.egress import EgressPolicy, FetchFailed, fetch
from cumulo.errors import CumuloError

MAX_PLAYBOOK_BYTES = 1 << 20
FETCH_TIMEOUT = 20.0


class PlaybookError(CumuloError):
    """An operation's implementation cannot be found or is not allowed."""


def find_playbook(
    implementation: str,
    folders: Sequence[Path],
    import_map: Mapping[str, Path],
    allow_network: bool,
    scratch: Path,
    egress: EgressPolicy | None = None,
) -> Path:
    """The local file of ``implementation`` (``scratch`` holds a fetched one)."""
    if "://" in implementation:
        return _from_url(implementation, import_map, allow_network, scratch, egress)
    relative = PurePosixPath(implementation)
    if relative.is_absolute():
        raise PlaybookError(f"playbook {implementation}: must be a path relative to its folder")
    for folder in folders:
        root = folder.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise PlaybookError(f"playbook {implementation}: the path escapes its folder")
        if path.is_file():
            return path
    names = ", ".join(str(f) for f in folders) or "none"
    raise PlaybookError(f"playbook {implementation}: not found in the playbook folders ({names})")


def _from_url(
    url: str,
    import_map: Mapping[str, Path],
    allow_network: bool,
    scratch: Path,
    egress: EgressPolicy | None,
) -> Path:
    prefixes = sorted((p for p in import_map if url.startswith(p)), key=len, reverse=True)
    if prefixes:
        prefix = prefixes[0]
        return find_playbook(url[len(prefix) :], [import_map[prefix]], {}, False, scratch)
    return fetch_file(url, "playbook", allow_network, scratch, egress, MAX_PLAYBOOK_BYTES)


def fetch_file(
    url: str, what: str, allow_network: bool, scratch: Path, egress: EgressPolicy | None,
    max_bytes: int,
) -> Path:  # fmt: skip
    """``url`` downloaded into ``scratch/fetched`` where the switches and the egress
    policy allow; ``PlaybookError`` naming ``what`` (a playbook, a role) otherwise."""
    if not url.startswith(("http://", "https://")):
        raise PlaybookError(f"{what} {url}: only http and https URLs are fetched")
    if not allow_network:
        raise PlaybookError(
            f"{what} {url}: not in the import map, and playbooks from the network are off "
            "(CUMULO_ALLOW_NETWORK_PLAYBOOKS with CUMULO_ALLOW_NETWORK_IMPORTS: a fetched "
            f"{what} is code that Ansible runs partly on cumulo's host)"
        )
    try:
        body = fetch(url, egress or EgressPolicy(), max_bytes, FETCH_TIMEOUT)
    except FetchFailed as exc:
        raise PlaybookError(f"{what} {url}: {exc}") from None
    path = scratch / "fetched" / (PurePosixPath(url.split("?")[0]).name or "download")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path

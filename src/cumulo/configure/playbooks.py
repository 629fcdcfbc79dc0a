"""Finding the playbook an operation names: a path in a playbook folder, or a URL.

A relative path is looked up in the playbook folders (the catalogue's
templates folder, then ``CUMULO_PLAYBOOK_DIRS``) and must stay inside the
folder it is found in: ``../`` or a symbolic link that leads out is refused,
as is an absolute path. A URL is resolved like a TOSCA import: by the import
map to a local folder, else fetched when network imports are allowed (size
limit, timeout) into the run's folder.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

import httpx

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
) -> Path:
    """The local file of ``implementation`` (``scratch`` holds a fetched one)."""
    if "://" in implementation:
        return _from_url(implementation, import_map, allow_network, scratch)
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


def _from_url(url: str, import_map: Mapping[str, Path], allow_network: bool, scratch: Path) -> Path:
    prefixes = sorted((p for p in import_map if url.startswith(p)), key=len, reverse=True)
    if prefixes:
        prefix = prefixes[0]
        return find_playbook(url[len(prefix) :], [import_map[prefix]], {}, False, scratch)
    if not url.startswith(("http://", "https://")):
        raise PlaybookError(f"playbook {url}: only http and https URLs are fetched")
    if not allow_network:
        raise PlaybookError(
            f"playbook {url}: not in the import map, and network imports are off "
            "(CUMULO_ALLOW_NETWORK_IMPORTS)"
        )
    deadline = time.monotonic() + FETCH_TIMEOUT
    body = bytearray()
    try:
        with httpx.stream("GET", url, timeout=FETCH_TIMEOUT, follow_redirects=True) as response:
            if response.status_code != 200:
                raise PlaybookError(f"playbook {url}: the server answered {response.status_code}")
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_PLAYBOOK_BYTES:
                    raise PlaybookError(f"playbook {url}: larger than {MAX_PLAYBOOK_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("too slow")
    except httpx.HTTPError as exc:
        raise PlaybookError(f"playbook {url}: cannot be fetched: {exc or 'timed out'}") from None
    path = scratch / "fetched" / PurePosixPath(url.split("?")[0]).name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(body))
    return path

"""Import maps: URL prefixes served from local folders, so imports work offline.

An import map sends every URL starting with a prefix to a folder
(``https://raw.githubusercontent.com/indigo-dc/tosca-types/master/`` →
``/srv/tosca-types/``); the longest matching prefix wins. cumulo's own types
are served under ``https://cumulo.dev/tosca/``.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

PROFILES_DIR = Path(__file__).parent / "profiles"
CUMULO_TYPES_PREFIX = "https://cumulo.dev/tosca/"
ENV_VAR = "CUMULO_IMPORT_MAP"


def default_import_map() -> dict[str, Path]:
    return {CUMULO_TYPES_PREFIX: PROFILES_DIR}


def parse_import_map(text: str) -> dict[str, Path]:
    """Parse ``PREFIX=DIR`` entries separated by ``;`` or newlines.

    Raises ValueError naming the bad entry.
    """
    result: dict[str, Path] = {}
    for raw in text.replace("\n", ";").split(";"):
        entry = raw.strip()
        if not entry:
            continue
        prefix, sep, folder = entry.partition("=")
        if not sep or not prefix.strip() or not folder.strip():
            raise ValueError(f"import map entry {entry!r} is not URL_PREFIX=DIR")
        result[prefix.strip()] = Path(folder.strip()).expanduser()
    return result


def import_map_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Path]:
    """The import map given by ``CUMULO_IMPORT_MAP`` (empty when unset)."""
    env = os.environ if environ is None else environ
    return parse_import_map(env.get(ENV_VAR, ""))


def is_url(ref: str) -> bool:
    return "://" in ref[:12]


def normalise_url(url: str) -> str:
    """Collapse ``.`` and ``..`` segments so a mapped URL cannot climb out."""
    parts = urlsplit(url)
    path = posixpath.normpath(parts.path) if parts.path else "/"
    if parts.path.endswith("/") and not path.endswith("/"):
        path += "/"
    return f"{parts.scheme}://{parts.netloc}{path}" + (f"?{parts.query}" if parts.query else "")


class MappedFile(NamedTuple):
    path: Path  # the real file (symlinks resolved)
    inside: bool  # whether it stays in its mapped folder


def map_url(url: str, import_map: Mapping[str, Path]) -> MappedFile | None:
    """The local file for a mapped URL, or None.

    Confinement is about where files really are: the file and the folder are
    both resolved, so a folder that is, or is reached through, a symlink
    serves its files, and a symlink out of the folder does not.
    """
    url = normalise_url(url)
    best = None
    for prefix in import_map:
        if url.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    if best is None:
        return None
    root = Path(import_map[best]).expanduser().resolve()
    rest = unquote(url[len(best) :].split("?", 1)[0]).lstrip("/")
    path = (root / rest).resolve()
    return MappedFile(path, is_within(path, root))


def is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents

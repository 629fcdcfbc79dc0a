"""The shipped service catalogue: TOSCA templates plus their card and form metadata.

A catalogue entry is a folder-free pair of files in ``templates/``:
``<name>.yaml`` (the TOSCA service template) and, optionally,
``<name>.meta.yaml`` (catalogue metadata: tabs, per-input overrides,
visibility), layered over the template's own ``metadata`` block.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEMPLATES_DIR = Path(__file__).parent / "templates"
_META_SUFFIX = ".meta.yaml"


@dataclass(frozen=True)
class Entry:
    name: str
    path: Path
    metadata: dict[str, Any]

    @property
    def display_name(self) -> str:
        return str(self.metadata.get("display_name") or self.name)

    @property
    def description(self) -> str:
        return str(self.metadata.get("description") or "")


def names() -> list[str]:
    """The catalogue's template names, sorted (``vm``, ``run-docker``, ...)."""
    return sorted(
        p.name.removesuffix(".yaml")
        for p in TEMPLATES_DIR.glob("*.yaml")
        if not p.name.endswith(_META_SUFFIX)
    )


def find(name: str) -> Path | None:
    """The template file of catalogue entry ``name``, or None if there is none."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = TEMPLATES_DIR / f"{name}.yaml"
    return path if path.is_file() else None


def entry(name: str) -> Entry | None:
    """The catalogue entry ``name`` with its layered metadata."""
    path = find(name)
    if path is None:
        return None
    side = path.with_name(path.name.removesuffix(".yaml") + _META_SUFFIX)
    # Parsed once per version of the two files (the catalogue page lists every entry).
    metadata = _metadata(path, _mtime(path), side, _mtime(side))
    return Entry(name=name, path=path, metadata=copy.deepcopy(metadata))


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


@functools.lru_cache(maxsize=256)
def _metadata(path: Path, mtime: int, side: Path, side_mtime: int) -> dict[str, Any]:
    # Layer 1: the template's description and metadata block; layer 2: the
    # side file. Only the top of the template is needed, but templates are
    # small, so a full safe load is simplest. (yaml here: the CLI lists names without it.)
    import yaml

    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    merged: dict[str, Any] = {"description": str(doc.get("description") or "").strip()}
    merged.update(doc.get("metadata") or {})
    if side_mtime >= 0:
        merged.update(yaml.safe_load(side.read_text(encoding="utf-8")) or {})
    return merged

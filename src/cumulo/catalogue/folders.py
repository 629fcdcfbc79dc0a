"""Finding the catalogue's files in its folders, safely, and stamping them for change.

A folder holds ``NAME.yaml`` (a TOSCA template) and ``NAME.meta.yaml`` (its
card metadata) files side by side; nothing below it is read (``playbooks/``
and the like are the configurator's). A file is taken only if its name is
plain (letters, digits, ``-``, ``_``) and it is a regular file inside the
folder: a symbolic link that leads out of the folder is refused, and so is
anything else that is not a file. Names come from the folder's listing, never
from a request, so no user input ever names a path.

Each file taken is stamped (inode, modification time, size): the stamps of
every folder are the catalogue's fingerprint, and an entry is loaded again
only when one of its stamps changed. The folders' own stamps (``folder_stamps``)
are cheaper still: adding, removing or replacing a file (an editor's save, a
``git pull``, ``cp``) changes them.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE_SUFFIX = ".yaml"
META_SUFFIX = ".meta.yaml"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


@dataclass(frozen=True)
class Stamp:
    """One file taken: where it is (resolved, inside its folder) and its version."""

    path: str
    inode: int
    mtime_ns: int
    size: int


@dataclass(frozen=True)
class Refused:
    """A file or folder left out, and why (for the admin page)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Source:
    """Where an entry comes from: its template (the last folder that has one) and the
    metadata files layered over it, in folder order."""

    name: str
    folder: Path | None  # the template's folder (None: metadata without a template)
    template: Stamp | None
    metas: tuple[Stamp, ...] = ()
    replaces: tuple[Path, ...] = ()  # earlier folders whose template of the name it replaces


@dataclass(frozen=True)
class Scan:
    """Every entry's sources and what was refused: equal scans mean nothing changed."""

    sources: dict[str, Source] = field(default_factory=dict)
    refused: tuple[Refused, ...] = ()


def parse_folders(own: Path, setting: str) -> list[Path]:
    """cumulo's own folder first, then the setting's folders (separated by ``;``)."""
    extra = [Path(p.strip()).expanduser().absolute() for p in setting.split(";") if p.strip()]
    return [own, *extra]


def folder_stamps(folders: Sequence[Path]) -> tuple[tuple[int, int] | None, ...]:
    """Each folder's inode and modification time (None: unreadable); one ``stat`` each."""
    out: list[tuple[int, int] | None] = []
    for folder in folders:
        try:
            st = folder.stat()
        except OSError:
            out.append(None)
        else:
            out.append((st.st_ino, st.st_mtime_ns))
    return tuple(out)


def _stamp(entry: os.DirEntry[str], root: Path) -> Stamp | str:
    """The file's stamp, or why it is refused."""
    path = entry.path
    try:
        if entry.is_symlink():
            resolved = Path(path).resolve(strict=True)
            if not resolved.is_relative_to(root):
                return "a symbolic link that leads out of the folder"
            path = str(resolved)
        st = entry.stat()  # follows a link (checked above to stay inside)
    except (OSError, RuntimeError) as exc:
        return f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return Stamp(path=path, inode=st.st_ino, mtime_ns=st.st_mtime_ns, size=st.st_size)


def scan_folder(folder: Path) -> tuple[dict[str, Stamp], dict[str, Stamp], list[Refused]]:
    """The templates and metadata files of one folder, by entry name, and what was refused."""
    templates: dict[str, Stamp] = {}
    metas: dict[str, Stamp] = {}
    refused: list[Refused] = []
    try:
        root = folder.resolve(strict=True)
        listing = sorted(os.scandir(root), key=lambda e: e.name)
    except (OSError, RuntimeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return templates, metas, [Refused(str(folder), f"catalogue folder: {reason}")]
    for item in listing:
        if not item.name.endswith(TEMPLATE_SUFFIX) or item.name.startswith("."):
            continue
        is_meta = item.name.endswith(META_SUFFIX)
        name = item.name.removesuffix(META_SUFFIX if is_meta else TEMPLATE_SUFFIX)
        if not NAME_RE.fullmatch(name):
            refused.append(
                Refused(item.path, "the name must be letters, digits, '-' and '_' (at most 100)")
            )
            continue
        stamp = _stamp(item, root)
        if isinstance(stamp, str):
            refused.append(Refused(item.path, stamp))
        else:
            (metas if is_meta else templates)[name] = stamp
    return templates, metas, refused


def scan(folders: Sequence[Path]) -> Scan:
    """Every entry of ``folders``: a later folder's template of a name replaces the earlier
    one (with its metadata); a later folder's lone metadata file is layered over it."""
    sources: dict[str, Source] = {}
    refused: list[Refused] = []
    for folder in folders:
        templates, metas, left_out = scan_folder(folder)
        refused.extend(left_out)
        for name in sorted(templates.keys() | metas.keys()):
            before = sources.get(name)
            meta = (metas[name],) if name in metas else ()
            if name in templates:
                replaces = (*before.replaces, before.folder) if before and before.folder else ()
                sources[name] = Source(name, folder, templates[name], meta, replaces)
            elif before is not None:
                sources[name] = Source(
                    name, before.folder, before.template, before.metas + meta, before.replaces
                )
            else:
                sources[name] = Source(name, None, None, meta)
    return Scan(sources=sources, refused=tuple(refused))

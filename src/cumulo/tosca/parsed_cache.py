"""Parsed type files kept on disk, by content hash, for the next process.

A fresh process (``cumulo validate``, a new worker) would otherwise read the
normative profile and every imported type library again. The cache keeps what
``read_yaml`` returned, keyed by a hash of the file's bytes, the reading limits
and the code that reads (so a changed reader never meets an old entry). A
library read lazily keeps that shape: each type entry is stored as its own
pickle, unpickled when a template first uses it (``CachedValue``).

The entries are pickles, so the folder must be as private as a ``__pycache__``:
it is made owner-only, and a folder someone else could write to is not used.
Anything odd (a corrupt or foreign entry, a full disk) means reading the file
again, never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

from cumulo.tosca import yaml_composer, yaml_reader
from cumulo.tosca.yaml_reader import LazyValue, YamlProblem, YMap, read_yaml

_CODE = (yaml_reader, yaml_composer)  # what decides the shape of a parsed document


class CachedValue(LazyValue):
    """A type entry stored on its own: unpickled on first use, like a ``LazyValue``."""

    __slots__ = ("blob",)

    def __init__(self, blob: bytes, section: str, key: Any, start: int, end: int) -> None:
        super().__init__(None, section, key, start)  # type: ignore[arg-type]
        self.end = end
        self.blob: bytes | None = blob

    def load(self) -> Any:
        blob = self.blob
        if blob is not None:
            self._value, self.problems = pickle.loads(blob)
            self.blob = None
        return self._value

    def __reduce__(self) -> tuple:
        return (CachedValue, (self.blob, self.section, self.key, self.start, self.end))


class ParsedCache:
    """``read_yaml`` over a folder of earlier results (the processor's cache folder)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._usable: bool | None = None  # decided on first use
        self._code: str | None = None

    def read(self, data: bytes, **options: Any) -> tuple[Any, list[YamlProblem]]:
        """What ``read_yaml(data, **options)`` returns, from the cache when it has it."""
        path = self._entry(data, options) if self._ready() else None
        if path is not None:
            try:
                return pickle.loads(path.read_bytes())
            except Exception:  # missing (the usual miss), corrupt or foreign: read again
                pass
        root, problems = read_yaml(data, **options)
        if path is not None:
            self._write(path, (_storable(root), problems))
        return root, problems

    def _entry(self, data: bytes, options: dict[str, Any]) -> Path:
        digest = hashlib.sha256(self._code_version().encode())
        # sets sorted: their order changes from one process to the next (hash seeds)
        stable = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in options.items()}
        digest.update(repr(sorted(stable.items())).encode())
        digest.update(data)
        return self.folder / f"{digest.hexdigest()}.pickle"

    def _code_version(self) -> str:
        if self._code is None:
            digest = hashlib.sha256(repr(sys.version_info[:2]).encode())
            for module in _CODE:
                digest.update(Path(module.__file__ or "").read_bytes())
            self._code = digest.hexdigest()
        return self._code

    def _ready(self) -> bool:
        """The folder exists, is ours and only ours; made so when absent."""
        if self._usable is None:
            try:
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                st = self.folder.stat()
                self._usable = st.st_uid == os.getuid() and not st.st_mode & 0o022
            except OSError:
                self._usable = False
        return self._usable

    def _write(self, path: Path, value: Any) -> None:
        try:
            blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".part")
        except (OSError, pickle.PicklingError, RecursionError):
            return
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
            os.replace(tmp, path)  # readers see the whole entry or none
        except OSError:
            Path(tmp).unlink(missing_ok=True)


def _storable(root: Any) -> Any:
    """``root`` with each lazy entry read and pickled on its own (``CachedValue``)."""
    if not isinstance(root, YMap):
        return root
    out = _like(root)
    for section, entries in root.items():
        if isinstance(entries, YMap) and any(isinstance(v, LazyValue) for v in entries.values()):
            stored = _like(entries)
            for key, value in entries.items():
                if isinstance(value, LazyValue):
                    entry = pickle.dumps((value.load(), value.problems), pickle.HIGHEST_PROTOCOL)
                    value = CachedValue(entry, value.section, key, value.start, value.end)
                stored[key] = value
            entries = stored
        out[section] = entries
    return out


def _like(node: YMap) -> YMap:
    """An empty map with ``node``'s marks."""
    out = YMap()
    out.mark, out.key_marks, out.value_marks = node.mark, node.key_marks, node.value_marks
    return out

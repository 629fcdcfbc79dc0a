"""The catalogue of an installation: its folders, reloaded when they change.

Every read stats the folders themselves: a file added, removed or replaced
(how editors, ``cp`` and ``git`` write) shows at once. At most every
``recheck_seconds`` (1 s) a read also takes every file's stamp, which catches
a file rewritten in place. When the stamps differ from the last ones, the
entries whose files changed are read and checked again (each template is
checked once per change, never per request); the others are kept. No restart.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cumulo.catalogue import TEMPLATES_DIR
from cumulo.catalogue.entries import Entry, load_entry
from cumulo.catalogue.folders import Refused, Scan, folder_stamps, parse_folders, scan
from cumulo.config import Settings
from cumulo.tosca import Processor

# How stale a file rewritten in place (same folder stamps) may be seen.
RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Snapshot:
    """The catalogue at one fingerprint: every entry (broken ones too) by name."""

    entries: dict[str, Entry] = field(default_factory=dict)
    refused: tuple[Refused, ...] = ()

    def offered(self) -> list[Entry]:
        """The entries users may be offered (sorted by name): those without errors."""
        return [e for e in self.entries.values() if e.ok]

    def get(self, name: str) -> Entry | None:
        """The entry ``name`` if it may be offered (a dict lookup: never a path)."""
        found = self.entries.get(name)
        return found if found is not None and found.ok else None

    def by_text(self, text: str) -> Entry | None:
        """The offered entry whose template is exactly ``text`` (a deployment's origin)."""
        return next((e for e in self.offered() if e.text == text), None)


class Catalogue:
    """Folders of templates and card metadata; ``snapshot()`` is always current."""

    def __init__(
        self,
        folders: Sequence[Path],
        processor: Processor | None = None,
        *,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        self.folders = list(folders)
        self.recheck_seconds = recheck_seconds
        self._processor = processor
        self._lock = threading.Lock()
        self._scan: Scan | None = None
        self._folder_stamps: tuple[object, ...] = ()
        self._scanned_at = -float("inf")
        self._snapshot = Snapshot()

    @classmethod
    def from_settings(cls, settings: Settings, processor: Processor | None) -> Catalogue:
        return cls(parse_folders(TEMPLATES_DIR, settings.catalogue_dirs), processor)

    def snapshot(self) -> Snapshot:
        stamps = folder_stamps(self.folders)
        now = time.monotonic()
        with self._lock:
            fresh = now - self._scanned_at < self.recheck_seconds
            if fresh and stamps == self._folder_stamps:
                return self._snapshot
        found = scan(self.folders)
        with self._lock:
            if found != self._scan:
                self._snapshot = self._reload(found)
                self._scan = found
            self._folder_stamps, self._scanned_at = stamps, now
            return self._snapshot

    def _reload(self, found: Scan) -> Snapshot:
        old_sources = self._scan.sources if self._scan else {}
        old = self._snapshot.entries
        entries = {}
        for name in sorted(found.sources):
            source = found.sources[name]
            kept = old.get(name) if old_sources.get(name) == source else None
            entries[name] = kept or load_entry(source, self._processor)
        return Snapshot(entries=entries, refused=found.refused)


class Host(Protocol):
    """What owns a catalogue: the engine (its settings and TOSCA processor)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def processor(self) -> Processor: ...


_BY_HOST: weakref.WeakKeyDictionary[Host, Catalogue] = weakref.WeakKeyDictionary()
_BY_HOST_LOCK = threading.Lock()


def catalogue_for(host: Host) -> Catalogue:
    """The one catalogue of ``host`` (the engine the API and the dashboard share)."""
    with _BY_HOST_LOCK:
        found = _BY_HOST.get(host)
        if found is None:
            found = _BY_HOST[host] = Catalogue.from_settings(host.settings, host.processor)
        return found

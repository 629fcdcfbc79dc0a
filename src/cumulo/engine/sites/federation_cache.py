"""A per-database cache of what the scheduler reads: the registry, attempt statistics.

Loading a thousand sites from the store for every deployment would cost more
than ranking them. An entry is reused while its ``version`` (a cheap
fingerprint query: any change made by any process changes it) is the same,
or, without a version, for ``ttl`` seconds; this process's own changes drop
the cache at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from cumulo.store.db import Database

_entries: WeakKeyDictionary[Database, dict[str, tuple[float, Any, Any]]] = WeakKeyDictionary()
_lock = threading.Lock()


def cached(
    db: Database, key: str, load: Callable[[], Any], *, ttl: float = 0.0, version: Any = None
) -> Any:
    """``load()``'s value, reused while ``version`` is unchanged (or for ``ttl`` seconds)."""
    now = time.monotonic()
    with _lock:
        entry = _entries.setdefault(db, {}).get(key)
    if entry is not None:
        at, seen, value = entry
        if (version is not None and seen == version) or (version is None and now - at < ttl):
            return value
    value = load()
    with _lock:
        _entries.setdefault(db, {})[key] = (now, version, value)
    return value


def invalidate(db: Database) -> None:
    with _lock:
        _entries.pop(db, None)

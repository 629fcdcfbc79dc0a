"""A short-lived, per-database cache of the registry as the scheduler sees it.

Loading a thousand sites from the store for every deployment would cost more
than ranking them; the views are kept for ``ttl`` seconds and dropped at once
when this process changes a site, an SLA or a probe result (other processes
see a change within ``ttl``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from cumulo.store.db import Database

_entries: WeakKeyDictionary[Database, dict[str, tuple[float, Any]]] = WeakKeyDictionary()
_lock = threading.Lock()


def cached(db: Database, key: str, ttl: float, load: Callable[[], Any]) -> Any:
    now = time.monotonic()
    with _lock:
        entry = _entries.setdefault(db, {}).get(key)
    if entry is not None and now - entry[0] < ttl:
        return entry[1]
    value = load()
    with _lock:
        _entries.setdefault(db, {})[key] = (now, value)
    return value


def invalidate(db: Database) -> None:
    with _lock:
        _entries.pop(db, None)

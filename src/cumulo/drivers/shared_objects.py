"""One maker at a time for an object a deployment's nodes share (the Docker site's network,
the cloud's security group).

Such an object is made by whichever node's ``create`` needs it first, and the
node steps of one attempt run at once (``engine.lifecycle.frontier``): two
first uses at once would each find nothing and each make one. A lock per object
key, in this process, is enough: one job per deployment runs at a time, so its
nodes' creates are never in two processes at once.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

_guard = threading.Lock()
_locks: dict[Hashable, tuple[threading.Lock, int]] = {}  # key -> (lock, holders and waiters)


@contextmanager
def making(key: Hashable) -> Iterator[None]:
    """Hold the lock of the shared object ``key`` (the lock goes when no one holds it)."""
    with _guard:
        lock, users = _locks.get(key, (None, 0))
        lock = lock or threading.Lock()
        _locks[key] = (lock, users + 1)
    try:
        with lock:
            yield
    finally:
        with _guard:
            users = _locks[key][1] - 1
            if users:
                _locks[key] = (lock, users)
            else:
                del _locks[key]

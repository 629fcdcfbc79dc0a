"""On SQLite, one worker thread of a process runs engine code at a time; waits free it.

On SQLite the engine's own work is all CPU in this process, the database's
included: two worker threads running it at once only contend for the
interpreter's lock, and each deployment cost a third more CPU than with one
thread (sim sites, ``bench/federation.py``). So a worker holds the step lock
while it claims and runs a job, and lets it go whenever it waits on the
outside world: a driver's call (drivers come wrapped, ``unlocking``), SSH,
an Ansible run, its steps' own threads, a back-off. Waits overlap as before;
engine work does not contend. A thread that does not hold the lock (the API,
the reconciler, a job's step threads) is not affected by it.

On PostgreSQL each database call is a network round trip that other threads
overlap: there is no step lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class StepLock:
    """``in_transaction`` says whether this thread is in a write transaction: a wait
    there keeps the lock (taking it back after the wait could deadlock with a worker
    that waits for that transaction; none should wait on the world in one anyway)."""

    def __init__(self, enabled: bool, in_transaction: Callable[[], bool]) -> None:
        self._lock = threading.Lock() if enabled else None
        self._holder: int | None = None
        self._in_transaction = in_transaction

    @contextmanager
    def held(self) -> Iterator[None]:
        """Run engine code (a worker's claim and job) with no other worker's at once."""
        if self._lock is None:
            yield
            return
        with self._lock:
            self._holder = threading.get_ident()
            try:
                yield
            finally:
                self._holder = None

    @contextmanager
    def released(self) -> Iterator[None]:
        """Wait on the outside world while other workers run (in a thread holding it)."""
        lock = self._lock
        if lock is None or self._holder != threading.get_ident() or self._in_transaction():
            yield
            return
        self._holder = None
        lock.release()
        try:
            yield
        finally:
            lock.acquire()
            self._holder = threading.get_ident()

    def unlocking(self, driver: Any) -> Any:
        """``driver`` with each of its calls made with the lock released."""
        return driver if self._lock is None else _Unlocking(driver, self)


class _Unlocking:
    """A driver whose calls wait without the step lock (see the module's doc)."""

    def __init__(self, driver: Any, steps: StepLock) -> None:
        self._driver, self._steps = driver, steps

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._driver, name)
        if not callable(found):
            return found
        return _released_call(found, self._steps)


def _released_call(fn: Callable[..., Any], steps: StepLock) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        with steps.released():
            return fn(*args, **kwargs)

    return call

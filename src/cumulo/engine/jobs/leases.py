"""Keeping the leases of running jobs: one renewer thread per engine, not one per job.

A thread started and joined for every job cost more than many a job's step; the
renewer renews every held lease each third of ``job_lease_seconds`` and sets a
job's ``lost`` event once its lease was taken over. It stops when it has held
nothing for a whole interval and starts again with the next job.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cumulo.engine.runtime import Engine

log = logging.getLogger(__name__)


class LeaseRenewer:
    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)  # an engine closed and dropped takes it along
        self.interval = engine.settings.job_lease_seconds / 3
        self._held: dict[tuple[int, str], threading.Event] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @contextmanager
    def hold(self, job_id: int, owner: str) -> Iterator[threading.Event]:
        """Renew the job's lease while the block runs; the event is set if it was lost."""
        lost = threading.Event()
        with self._lock:
            self._held[(job_id, owner)] = lost
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="leases", daemon=True)
                self._thread.start()
        try:
            yield lost
        finally:
            with self._lock:
                self._held.pop((job_id, owner), None)

    def _run(self) -> None:
        idle = False
        while True:
            time.sleep(self.interval)
            with self._lock:
                held = dict(self._held)
                if not held:
                    if idle:  # nothing held for a whole interval: stop until the next job
                        self._thread = None
                        return
                    idle = True
                    continue
            idle = False
            engine = self._engine()
            if engine is None:
                return
            for (job_id, owner), lost in held.items():
                self._renew(engine, job_id, owner, lost)

    def _renew(self, engine: Engine, job_id: int, owner: str, lost: threading.Event) -> None:
        with self._lock:
            if (job_id, owner) not in self._held:
                return  # finished meanwhile
        try:
            if not engine.queue.renew(job_id, owner):
                lost.set()
        except Exception:  # a database hiccup: try again at the next tick
            log.warning("could not renew the lease of job %s", job_id, exc_info=True)


_RENEWERS: weakref.WeakKeyDictionary[Engine, LeaseRenewer] = weakref.WeakKeyDictionary()
_RENEWERS_LOCK = threading.Lock()


def renewer_of(engine: Engine) -> LeaseRenewer:
    with _RENEWERS_LOCK:
        found = _RENEWERS.get(engine)
        if found is None:
            found = _RENEWERS[engine] = LeaseRenewer(engine)
        return found

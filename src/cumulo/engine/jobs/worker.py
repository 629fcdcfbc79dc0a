"""Workers: threads that claim jobs from the queue and run them under a renewed lease.

``cumulo serve`` runs a ``WorkerPool`` beside the API; ``cumulo worker`` runs
one alone against the same database.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from cumulo.engine.callbacks import CallbackSender
from cumulo.engine.jobs.leases import renewer_of
from cumulo.engine.jobs.queue import ClaimedJob, JobKind, Parked
from cumulo.engine.lifecycle.actions import run_action
from cumulo.engine.lifecycle.delete import run_delete, run_force_delete
from cumulo.engine.lifecycle.deploy import run_deploy
from cumulo.engine.lifecycle.reconcile import Reconciler
from cumulo.engine.lifecycle.reconcile_job import run_reconcile
from cumulo.engine.lifecycle.update import run_update
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.health import HealthProber
from cumulo.engine.states import FAILED_OF, Status, set_deployment_status
from cumulo.store.models import Deployment

log = logging.getLogger(__name__)

# A handler returns True when it marked its job done itself (``queue.finish_in``), in the
# transaction that completed the work; else the worker marks it done after it returns.
Handler = Callable[[Engine, ClaimedJob, threading.Event], bool | None]
HANDLERS: dict[JobKind, Handler] = {
    JobKind.DEPLOY: run_deploy,
    JobKind.UPDATE: run_update,
    JobKind.DELETE: run_delete,
    JobKind.FORCE_DELETE: run_force_delete,
    JobKind.ACTION: run_action,
    JobKind.RECONCILE: run_reconcile,
}
# A job taken over this many times (its workers kept dying) fails its deployment.
MAX_TRIES = 3
# Database outages one job waits out in place before leaving itself to its lease.
MAX_OUTAGES = 10
FAILED_STATUS = {
    JobKind.DEPLOY: Status.CREATE_FAILED,
    JobKind.UPDATE: Status.UPDATE_FAILED,
    JobKind.DELETE: Status.DELETE_FAILED,
    JobKind.FORCE_DELETE: Status.DELETE_FAILED,
}


def run_job(engine: Engine, job: ClaimedJob, owner: str) -> None:
    """Run one claimed job to its end and record the outcome.

    When the database goes away mid-job (a PostgreSQL restart), the worker
    waits for it and runs the handler again, which resumes from the stored
    state; if the lease was lost meanwhile the job is left to its new owner.
    """
    if job.tries > MAX_TRIES:
        _give_up(engine, job, f"the job was interrupted {job.tries - 1} times (workers died)")
        engine.queue.finish(job.id, owner, error="too many tries")
        return
    job = replace(job, owner=owner)  # whose lease a handler ends with its last change
    with renewer_of(engine).hold(job.id, owner) as lost:
        outages = 0
        while True:
            try:
                if HANDLERS[job.kind](engine, job, lost):
                    return  # finished with its last change
                break
            except Parked as parked:  # waiting on something: the worker is free meanwhile
                engine.queue.park(job.id, owner, parked.delay, parked.write)
                return
            except (OperationalError, InterfaceError):
                outages += 1
                log.warning("job %s: the database went away; resuming when it is back", job.id)
                back = outages <= MAX_OUTAGES and _database_back(engine, lost)
                if not back or lost.is_set():
                    return  # the lease lets another worker take the job over
            except Exception as exc:
                log.exception("job %s (%s %s) failed", job.id, job.kind, job.deployment_id)
                _give_up(engine, job, f"internal error: {exc!r}")
                engine.queue.finish(job.id, owner, error=repr(exc))
                return
    engine.queue.finish(job.id, owner)


def _database_back(engine: Engine, lost: threading.Event, patience: float = 300.0) -> bool:
    """Wait (with back-off) until the database answers again; False if it does not in time."""
    delay, waited = 0.2, 0.0
    while waited < patience and not lost.is_set():
        try:
            with engine.db.session() as s:
                s.execute(text("SELECT 1"))
            return True
        except DBAPIError:
            with engine.steps.released():
                time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 5.0)
    return False


def _give_up(engine: Engine, job: ClaimedJob, reason: str) -> None:
    try:
        with engine.db.session() as s:
            dep = s.get(Deployment, job.deployment_id)
            failed = FAILED_STATUS.get(job.kind)
            if dep is not None and failed is not None and FAILED_OF.get(dep.status) == failed:
                dep.task = "NONE"
                set_deployment_status(s, dep, failed, reason)
    except Exception:
        log.exception("could not fail deployment %s", job.deployment_id)


class Worker(threading.Thread):
    def __init__(self, engine: Engine, stop: threading.Event, index: int = 0) -> None:
        super().__init__(name=f"cumulo-worker-{index}", daemon=True)
        self.engine = engine
        self.stop_event = stop
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{index}:{uuid.uuid4().hex[:8]}"

    def run(self) -> None:
        poll = self.engine.settings.job_poll_seconds
        while not self.stop_event.is_set():
            with self.engine.steps.held():  # engine work; its waits on the world let it go
                ran = self._claim_and_run()
            if ran is None:
                self.stop_event.wait(poll)  # the claim failed: try again later
            elif not ran and self.engine.wakeup.wait(poll):  # nothing to do
                self.engine.wakeup.clear()

    def _claim_and_run(self) -> bool | None:
        """Run the next job: True, False if there was none, None if the claim failed."""
        try:
            job = self.engine.queue.claim(self.owner)
        except Exception:
            log.warning("could not claim a job; retrying", exc_info=True)
            return None
        if job is None:
            return False
        try:
            run_job(self.engine, job, self.owner)
        except Exception:  # e.g. the database went away; the lease lets another retry
            log.exception("worker %s: job %s was not finished", self.owner, job.id)
        return True


class WorkerPool:
    """Job workers, and beside them (when there are workers) the health prober, the
    reconciler and the callback sender."""

    def __init__(self, engine: Engine, size: int) -> None:
        self.stop_event = threading.Event()
        self.workers = [Worker(engine, self.stop_event, i) for i in range(size)]
        # Sites are probed where jobs run (not by an API-only process).
        self.prober = None
        if size and engine.settings.health_probe_seconds > 0:
            self.prober = HealthProber(engine, self.stop_event)
        # Nodes found down are brought back where jobs run, as sites are probed.
        self.reconciler = None
        if size and engine.settings.reconcile_seconds > 0:
            self.reconciler = Reconciler(engine, self.stop_event)
        self.engine = engine
        self.callbacks: CallbackSender | None = None
        if size:
            owner = f"{self.workers[0].owner}:callbacks"
            self.callbacks = CallbackSender(engine.db, engine.settings, self.stop_event, owner)

    def start(self) -> None:
        for w in self.workers:
            w.start()
        if self.prober is not None:
            self.prober.start()
        if self.reconciler is not None:
            self.reconciler.start()
        if self.callbacks is not None:
            self.callbacks.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.engine.notify()
        if self.reconciler is not None:
            self.reconciler.wakeup.set()
        for w in self.workers:
            w.join(timeout)
        if self.reconciler is not None and self.reconciler.is_alive():
            self.reconciler.join(timeout)
        if self.callbacks is not None:
            self.callbacks.wakeup.set()
            self.callbacks.join(timeout)
            self.callbacks.close()

"""The reconciler: what the store records of running nodes against what their sites report.

Level-triggered, as Kubernetes controllers are: every
``settings.reconcile_seconds`` (and at once when a site's driver reports a
change through its events, ``drivers.base.WatchesNodes``: a container died,
started or went, the engine stopped answering or answers again) it asks each
site for the state of every node that should run (``driver.observe``). A
deployment whose nodes differ from the record gets a ``reconcile`` job
(``reconcile_job.py``), which restarts them or says why not; being a job, it
never runs beside another job of the deployment. Deployments with a job
pending or running are left to it; the next look sees them again.

Driver-generic: a Docker container exited after an engine restart and a
cloud server SHUTOFF or deleted behind cumulo's back are the same case.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import and_, exists, select

from cumulo.drivers.base import ObservesAttributes, WatchesNodes
from cumulo.engine.jobs.queue import JobKind, JobStatus, enqueue
from cumulo.engine.lifecycle.node_outage import WATCHED_STATUSES, is_watched, needs_repair
from cumulo.engine.runtime import Engine
from cumulo.errors import CumuloError
from cumulo.store.models import Deployment, Job, Resource, Site

log = logging.getLogger(__name__)
# Sites looked at together: a slow site must not delay the others.
PARALLEL_SITES = 8
# After a site's event, wait this long for its siblings (an engine's return sends many).
SETTLE_SECONDS = 0.2
LIVE_JOBS = (JobStatus.PENDING.value, JobStatus.RUNNING.value)


def watched_nodes(engine: Engine, sites: set[str] | None) -> dict[str, list[tuple[str, str]]]:
    """Site -> (deployment id, physical id) of every node to look at on it, of
    deployments with no job pending or running."""
    # a reconcile job waiting out the restart grace is looked at again (and woken below)
    busy = exists().where(
        Job.deployment_id == Deployment.id,
        Job.status.in_(LIVE_JOBS),
        ~and_(Job.kind == JobKind.RECONCILE.value, Job.status == JobStatus.PENDING.value),
    )
    query = (
        select(Resource)
        .join(Deployment, Deployment.id == Resource.deployment_id)
        .where(Deployment.status.in_([st.value for st in WATCHED_STATUSES]), ~busy)
        .where(Resource.physical_id.is_not(None))
    )
    if sites is not None:
        query = query.where(Resource.site_name.in_(sorted(sites)))
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with engine.db.session() as s:
        for res in s.scalars(query):
            if is_watched(res):
                found[res.site_name or ""].append((res.deployment_id, res.physical_id or ""))
    return found


def look_at_site(engine: Engine, site_name: str, nodes: list[tuple[str, str]]) -> set[str]:
    """The deployments among ``nodes`` whose site reports something else than the store."""
    with engine.db.session() as s:
        site = s.get(Site, site_name)
        if site is not None:
            s.expunge(site)
    seen: dict[str, str | None] = {}
    attributes: dict[str, dict[str, Any] | None] = {}
    try:
        driver = None if site is None else engine.driver(site)
    except CumuloError:  # a kind whose library is missing
        driver = None
    unreachable = driver is None
    for _, pid in nodes:
        if unreachable or driver is None:
            seen[pid] = None  # one failure says it for the whole site
            continue
        try:
            seen[pid] = driver.observe(pid)
            if seen[pid] == "STARTED" and isinstance(driver, ObservesAttributes):
                attributes[pid] = driver.observe_attributes(pid)
        except CumuloError:
            seen[pid], unreachable = None, True
    with engine.db.session() as s:
        rows = {r.physical_id: r for r in s.scalars(select(Resource).where(
            Resource.physical_id.in_(list(seen)), Resource.site_name == site_name))}  # fmt: skip
        return {
            rows[pid].deployment_id
            for pid, state in seen.items()
            if pid in rows and needs_repair(rows[pid], state, attributes.get(pid))
        }


def enqueue_repairs(engine: Engine, dep_ids: set[str]) -> int:
    """A reconcile job for each deployment still watched and without a live job; a
    waiting reconcile job is made due now. The number of jobs made or woken."""
    made = 0
    with engine.db.session() as s:
        for dep_id in sorted(dep_ids):
            dep = s.get(Deployment, dep_id)
            if dep is None or dep.status not in WATCHED_STATUSES:
                continue
            live = s.scalars(
                select(Job).where(Job.deployment_id == dep_id, Job.status.in_(LIVE_JOBS))
            ).first()
            if live is None:
                enqueue(s, JobKind.RECONCILE, dep)
                made += 1
            elif live.kind == JobKind.RECONCILE and live.not_before is not None:
                live.not_before = None  # parked (``Parked``): what it waits for may have changed
                made += 1
    if made:
        engine.notify()
    return made


def reconcile_once(engine: Engine, sites: set[str] | None = None) -> int:
    """One look at ``sites`` (None: all): the number of reconcile jobs enqueued or woken."""
    nodes = watched_nodes(engine, sites)
    with ThreadPoolExecutor(max_workers=PARALLEL_SITES) as pool:
        found = pool.map(lambda item: look_at_site(engine, *item), nodes.items())
        return enqueue_repairs(engine, set().union(*found))


class Reconciler(threading.Thread):
    """Looks every ``settings.reconcile_seconds``, and at once on a site's events."""

    def __init__(self, engine: Engine, stop: threading.Event) -> None:
        super().__init__(name="cumulo-reconciler", daemon=True)
        self.engine, self.stop_event = engine, stop
        self.wakeup = threading.Event()
        self._due: set[str] = set()  # sites whose driver reported a change
        self._lock = threading.Lock()
        self._watching: dict[tuple[str, str], threading.Thread] = {}

    def changed(self, site: str) -> None:
        with self._lock:
            self._due.add(site)
        self.wakeup.set()

    def run(self) -> None:
        interval = self.engine.settings.reconcile_seconds
        next_full = time.monotonic()  # a first look at start: cumulo itself may have restarted
        while not self.stop_event.is_set():
            try:
                self._watch_sites()
                if time.monotonic() >= next_full:
                    with self._lock:
                        self._due.clear()
                    reconcile_once(self.engine)
                    next_full = time.monotonic() + interval
                else:
                    with self._lock:
                        due, self._due = self._due, set()
                    if due:
                        reconcile_once(self.engine, due)
            except Exception:  # the database went away: try again at the next round
                log.warning("reconciling failed", exc_info=True)
            self.wakeup.wait(max(next_full - time.monotonic(), 0))
            if self.wakeup.is_set():
                self.wakeup.clear()
                self.stop_event.wait(SETTLE_SECONDS)

    def _watch_sites(self) -> None:
        """One watcher thread per site (and endpoint) whose driver has events."""
        with self.engine.db.session() as s:
            sites = s.scalars(select(Site).where(Site.status != "removed")).all()
            for site in sites:
                s.expunge(site)
        for site in sites:
            key = (site.name, site.endpoint)
            if key in self._watching and self._watching[key].is_alive():
                continue
            try:
                driver = self.engine.driver(site)
            except CumuloError:
                continue  # a kind whose library is missing: only periodic looks fail for it
            if not isinstance(driver, WatchesNodes):
                continue
            name = site.name
            thread = threading.Thread(
                target=driver.watch_nodes,
                args=(self.stop_event, lambda _pid, name=name: self.changed(name)),
                name=f"cumulo-watch-{name}",
                daemon=True,
            )
            thread.start()
            self._watching[key] = thread

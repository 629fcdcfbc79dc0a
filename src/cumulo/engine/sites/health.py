"""Health probes: each site's driver health check (``ping``), stored, periodically.

A site whose last probe failed is skipped by the scheduler until a probe
succeeds again. ``HealthProber`` runs beside the workers (``WorkerPool``);
``probe_site`` is also what ``POST /sites/{name}/probe`` calls.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from cumulo.engine.runtime import Engine
from cumulo.engine.sites.probes import probe_inventory, record_probe
from cumulo.engine.sites.registry import get_site
from cumulo.store.models import Site

log = logging.getLogger(__name__)
# Sites probed at once: a slow site must not delay the others' probes.
PARALLEL_PROBES = 8


def probe_site(engine: Engine, name: str) -> Site:
    """Probe one site now and store the result; the site's row after it."""
    with engine.db.session() as s:
        site = get_site(s, name)
        s.expunge(site)
    problem, seconds, inventory = probe_inventory(site, engine.secrets)
    record_probe(engine.db, name, problem, seconds, inventory)
    if problem:
        log.warning("site %s failed its health probe: %s", name, problem)
    with engine.db.session() as s:
        site = get_site(s, name)
        s.expunge(site)
        return site


def probe_all(engine: Engine) -> None:
    with engine.db.session() as s:
        names = s.scalars(select(Site.name).where(Site.status != "removed")).all()
    with ThreadPoolExecutor(max_workers=PARALLEL_PROBES) as pool:
        list(pool.map(lambda n: probe_site(engine, n), names))


class HealthProber(threading.Thread):
    """Probes every site each ``settings.health_probe_seconds`` until stopped."""

    def __init__(self, engine: Engine, stop: threading.Event) -> None:
        super().__init__(name="cumulo-health-prober", daemon=True)
        self.engine, self.stop_event = engine, stop

    def run(self) -> None:
        # The first round after one interval: sites are probed when registered.
        interval = self.engine.settings.health_probe_seconds
        while not self.stop_event.wait(interval):
            try:
                probe_all(self.engine)
            except Exception:  # the database went away: try again at the next round
                log.warning("health probes failed", exc_info=True)

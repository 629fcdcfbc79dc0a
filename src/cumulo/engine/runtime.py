"""The engine's shared runtime: database, job queue, TOSCA processor and site drivers.

One ``Engine`` per process, shared by the API and the worker threads; it holds
no per-request state.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from cumulo.config import Settings
from cumulo.configure.reserved import refuse_reserved_inputs
from cumulo.drivers.base import Driver
from cumulo.egress import EgressPolicy, fetch
from cumulo.engine.jobs.queue import JobQueue
from cumulo.engine.sites.drivers import make_driver
from cumulo.engine.sites.owner_auth import OwnerTokens
from cumulo.engine.step_lock import StepLock
from cumulo.secrets import SecretBox, open_box
from cumulo.store import Database, migrate
from cumulo.store.models import Site
from cumulo.tosca import Plan, Processor, Template, parse_import_map

IMPORT_FETCH_TIMEOUT = 20.0
# Loaded templates kept by text: every step of a job (and every deployment of the same
# catalogue entry) plans the same few texts; loading is most of a step's cost.
TEMPLATES_KEPT = 64
# Plans kept by template and parameters (``Engine.plan``): the deployments in flight
# that a worker resumes most often, bounded in memory.
PLANS_KEPT = 256


class Engine:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        if db is None:
            settings.ensure_data_dir()
            db = Database(settings.db_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        self.db = db
        migrate(db.engine)
        self.queue = JobQueue(db, settings.job_lease_seconds)
        # Set when a job is enqueued in this process, so idle workers start at once.
        self.wakeup = threading.Event()
        self._processor: Processor | None = None
        self._secrets: SecretBox | None = None
        self._drivers: dict[tuple[str, str, str, str], Driver] = {}
        # Deployment owners' OIDC tokens, for sites that act as the owner (federation).
        self.owner_tokens = OwnerTokens(self)
        self._templates: OrderedDict[str, Template] = OrderedDict()
        self._plans: OrderedDict[tuple[str, str], Plan] = OrderedDict()
        self._lock = threading.Lock()
        self.steps = StepLock(self.db.dialect == "sqlite", self.db.holds_writer)
        # Fail at start, naming the entry, rather than at the first deployment.
        parse_import_map(settings.import_map)
        self.egress = EgressPolicy.from_settings(settings)

    def notify(self) -> None:
        self.wakeup.set()

    @property
    def secrets(self) -> SecretBox:
        """The installation's secret box (``cumulo.secrets``): encrypts what is stored."""
        with self._lock:
            if self._secrets is None:
                self._secrets = open_box(self.settings)
            return self._secrets

    @property
    def processor(self) -> Processor:
        with self._lock:
            if self._processor is None:
                self._processor = Processor(
                    import_map=parse_import_map(self.settings.import_map),
                    allow_network=self.settings.allow_network_imports,
                    cache_dir=self.settings.data_dir / "tosca-cache",
                    max_instances=self.settings.max_instances_per_deployment,
                    fetch=self._fetch_import,
                )
            return self._processor

    def _fetch_import(self, url: str, max_bytes: int) -> bytes:
        """A TOSCA import fetched for a user's template: through the egress policy."""
        return fetch(url, self.egress, max_bytes, IMPORT_FETCH_TIMEOUT)

    def template(self, text: str) -> Template:
        """The loaded template (``ToscaError`` on bad input); the same text is loaded once."""
        with self._lock:
            found = self._templates.get(text)
            if found is not None:
                self._templates.move_to_end(text)
                return found
        loaded = self.processor.load_text(text, name="template.yaml")
        with self._lock:
            self._templates[text] = loaded
            while len(self._templates) > TEMPLATES_KEPT:
                self._templates.popitem(last=False)
        return loaded

    def plan(self, template: str, parameters: dict[str, Any]) -> Plan:
        """Load, validate and instantiate a template (``ToscaError`` on bad input).

        Plans are kept by template and parameters (planning is deterministic and a
        plan is never changed once made): the request plans a deployment, its job
        plans it again, and so does every step of a job resumed after it parked;
        all but the first read the kept one. Shared between threads: read only.
        """
        key = (template, json.dumps(parameters, sort_keys=True, default=repr))
        with self._lock:
            found = self._plans.get(key)
            if found is not None:
                self._plans.move_to_end(key)
                return found
        plan = self.processor.plan(self.template(template), parameters)
        refuse_reserved_inputs(plan)  # operation inputs are data, never Ansible's own variables
        with self._lock:
            self._plans[key] = plan
            while len(self._plans) > PLANS_KEPT:
                self._plans.popitem(last=False)
        return plan

    def driver(self, site: Site) -> Driver:
        """The driver of ``site`` (one per site and endpoint, reused across jobs)."""
        # A site replaced with other credentials gets a new driver.
        s3 = (site.options or {}).get("s3")  # the site's S3 service: sealed keys too
        key = (site.name, site.endpoint, site.credentials or "", repr(s3))
        secrets = self.secrets if site.credentials or s3 else None
        with self._lock:
            drv = self._drivers.get(key)
            if drv is None:
                drv = make_driver(site, self.egress, secrets, self.owner_tokens)
                self._drivers[key] = drv
        return drv

    def job_driver(self, site: Site) -> Driver:
        """``driver`` as a job uses it: each call waits on the site without the step lock
        (``engine.step_lock``)."""
        return self.steps.unlocking(self.driver(site))  # type: ignore[no-any-return]

    def close(self) -> None:
        self.db.dispose()

"""The delete job: remove a deployment's resources on every site it used, then the row.

A forced delete (``DELETE ?force=true``) removes the row even when a site
cannot remove everything; what it could not remove is logged by the server.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from cumulo.engine.events import record
from cumulo.engine.jobs.queue import ClaimedJob
from cumulo.engine.lifecycle.configure_step import run_teardown
from cumulo.engine.runtime import Engine
from cumulo.engine.sensitive_inputs import unseal
from cumulo.engine.states import NodeState, Status, set_deployment_status, set_resource_state
from cumulo.store.models import Deployment, Resource, Site

log = logging.getLogger(__name__)


def run_force_delete(engine: Engine, job: ClaimedJob, lost: threading.Event) -> None:
    run_delete(engine, job, lost, force=True)


def run_delete(
    engine: Engine, job: ClaimedJob, lost: threading.Event, *, force: bool = False
) -> None:
    dep_id = job.deployment_id
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None or dep.status != Status.DELETE_IN_PROGRESS:
            return
        site_names = {r.site_name for r in dep.resources if r.site_name}
        template, parameters = dep.template, unseal(engine, dep)
        configured = {
            (r.node_name, r.node_index): dict(r.attributes or {})
            for r in dep.resources
            if r.state in (NodeState.CONFIGURED, NodeState.STARTED, NodeState.STOPPED)
        }
        if dep.site_name:
            site_names.add(dep.site_name)
        for res in dep.resources:
            set_resource_state(s, res, NodeState.DELETING)
        dep.task = "DEPLOYER"
    if configured:  # the Standard stop/delete operations, while the hosts still run
        run_teardown(engine, dep_id, template, parameters, configured)
    errors: list[str] = []
    for name in sorted(site_names):
        with engine.db.session() as s:
            site = s.get(Site, name)
            if site is not None:
                s.expunge(site)
        if site is None:
            errors.append(f"site {name} is not registered")
            continue
        try:
            removed = engine.job_driver(site).delete_deployment(dep_id)
        except Exception as exc:  # any failure leaves DELETE_FAILED, retried by another DELETE
            errors.append(f"site {name}: {exc}")
            continue
        with engine.db.session() as s:
            record(s, dep_id, "driver", f"removed {len(removed)} resource(s) on site {name}")
    if lost.is_set():
        return  # taken over: the new owner finishes the job
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None or dep.status != Status.DELETE_IN_PROGRESS:
            return
        dep.task = "NONE"
        if errors and force:
            log.warning("deployment %s forcibly deleted; left behind: %s", dep_id, errors)
        elif errors:
            for res in s.scalars(select(Resource).where(Resource.deployment_id == dep_id)):
                set_resource_state(s, res, NodeState.ERROR)
            set_deployment_status(s, dep, Status.DELETE_FAILED, "; ".join(errors))
            return
        set_deployment_status(s, dep, Status.DELETE_COMPLETE)
        # After a successful delete the deployment is gone (INDIGO answers 404).
        s.delete(dep)

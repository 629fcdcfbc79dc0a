"""The action job: start or stop the compute resources the API marked STARTING / STOPPING.

The marks are the job's input, stored in the same transaction as the job, so
a job taken over after a crash finds them again (starting a running container
or stopping a stopped one is harmless).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from cumulo.engine.events import record
from cumulo.engine.jobs.queue import ClaimedJob
from cumulo.engine.outputs import evaluate
from cumulo.engine.runtime import Engine
from cumulo.engine.sensitive_inputs import unseal, withhold_secrets
from cumulo.engine.states import NodeState, set_resource_state
from cumulo.errors import CumuloError
from cumulo.store.models import Deployment, Resource, Site

log = logging.getLogger(__name__)

# The state an action is requested in -> the state it ends in.
ACTIONS = {NodeState.STARTING: NodeState.STARTED, NodeState.STOPPING: NodeState.STOPPED}


def run_action(engine: Engine, job: ClaimedJob, lost: threading.Event) -> None:
    with engine.db.session() as s:
        marked = [
            (r.id, NodeState(r.state), r.physical_id, r.site_name)
            for r in s.scalars(
                select(Resource).where(
                    Resource.deployment_id == job.deployment_id,
                    Resource.state.in_([st.value for st in ACTIONS]),
                )
            )
        ]
    started = False
    for rid, state, pid, site_name in marked:
        if lost.is_set():
            return  # taken over: the new owner carries on
        error, now = None, {}
        try:
            if not pid or not site_name:
                raise CumuloError("the resource has no physical resource to act on")
            with engine.db.session() as s:
                site = s.get(Site, site_name)
                if site is None:
                    raise CumuloError(f"site {site_name} is not registered")
                s.expunge(site)
            driver = engine.job_driver(site)
            if state is NodeState.STARTING:
                now = driver.start(pid)
            else:
                driver.stop(pid)
        except CumuloError as exc:
            error = str(exc)
        with engine.db.session() as s:
            res = s.get(Resource, rid)
            if res is None or res.state != state:
                continue  # removed or changed meanwhile (a delete)
            label = f"{res.node_name}[{res.node_index}]"
            verb = "start" if state is NodeState.STARTING else "stop"
            if error:
                record(s, job.deployment_id, "error", f"{verb} failed: {error}", node=label)
                set_resource_state(s, res, NodeState.ERROR)
            else:
                if now:
                    res.attributes = {**(res.attributes or {}), **now}
                    started = True
                set_resource_state(s, res, ACTIONS[state])
    if started and not lost.is_set():
        refresh_outputs(engine, job.deployment_id)


def refresh_outputs(engine: Engine, dep_id: str) -> None:
    """The outputs evaluated again over the resources' attributes as they are now
    (addresses and ports change when a node restarts), withheld as at the end of a create."""
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None:
            return
        plan = engine.plan(dep.template, unseal(engine, dep))
        attributes = {
            (r.node_name, r.node_index): r.attributes or {}
            for r in s.scalars(select(Resource).where(Resource.deployment_id == dep_id))
        }
        outputs, _ = withhold_secrets(engine, dep, evaluate(plan, attributes), None)
        dep.outputs = outputs

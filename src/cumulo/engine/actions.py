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
from cumulo.engine.jobs import ClaimedJob
from cumulo.engine.runtime import Engine
from cumulo.engine.states import NodeState, set_resource_state
from cumulo.errors import CumuloError
from cumulo.store.models import Resource, Site

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
    for rid, state, pid, site_name in marked:
        if lost.is_set():
            return  # taken over: the new owner carries on
        error = None
        try:
            if not pid or not site_name:
                raise CumuloError("the resource has no physical resource to act on")
            with engine.db.session() as s:
                site = s.get(Site, site_name)
                if site is None:
                    raise CumuloError(f"site {site_name} is not registered")
                s.expunge(site)
            driver = engine.driver(site)
            (driver.start if state is NodeState.STARTING else driver.stop)(pid)
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
                set_resource_state(s, res, ACTIONS[state])

"""The deploy job: realize a deployment's node instances on a site, then its outputs.

Each database change is its own short transaction; no transaction is held
across a driver call. Resource states and physical ids are stored as they
change, so a job taken over after a crash resumes from them: a resource
already CONFIGURED is kept, and ``Driver.create`` finds again what a dead
worker had started.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from cumulo.drivers.base import Driver, NodeRequest, Realized
from cumulo.engine.events import record
from cumulo.engine.jobs import ClaimedJob
from cumulo.engine.node_requests import node_request, ssh_keys_from_inputs
from cumulo.engine.outputs import evaluate, json_safe
from cumulo.engine.runtime import Engine
from cumulo.engine.sites import choose_site
from cumulo.engine.states import (
    CONFIGURE_PATH,
    NodeState,
    Status,
    advance,
    set_deployment_status,
    set_resource_state,
)
from cumulo.errors import CumuloError
from cumulo.store.db import utcnow
from cumulo.store.models import Attempt, Deployment, Resource, Site

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The deployment left CREATE_IN_PROGRESS (e.g. a delete) or the job was taken over."""


class NodeFailed(Exception):
    def __init__(self, node: str, index: int, cause: str) -> None:
        # Drivers name the node themselves ("node app: ..."); say it once, with the index.
        cause = cause.removeprefix(f"node {node}: ")
        super().__init__(f"node {node}[{index}]: {cause}")
        self.node, self.index, self.cause = node, index, cause


def run_deploy(engine: Engine, job: ClaimedJob, lost: threading.Event) -> None:
    dep_id = job.deployment_id
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None or dep.status != Status.CREATE_IN_PROGRESS:
            return  # deleted or cancelled before we started
        template, params = dep.template, dict(dep.parameters or {})
        timeout = dep.provider_timeout_mins or engine.settings.default_provider_timeout_mins
    try:
        plan = engine.plan(template, params)
    except CumuloError as exc:
        _fail(engine, dep_id, None, f"the template can no longer be planned: {exc}")
        return
    try:
        with engine.db.session() as s:
            site = choose_site(s)
            s.expunge(site)
    except CumuloError as exc:
        _fail(engine, dep_id, None, str(exc))
        return
    attempt_id = _start_attempt(engine, dep_id, site, plan)
    if attempt_id is None:
        return
    deadline = time.monotonic() + timeout * 60
    try:
        driver = engine.driver(site)
        _ping(driver, site)
        attributes = _realize_all(engine, driver, site, plan, dep_id, deadline, lost)
        outputs = evaluate(plan, attributes)
    except Cancelled:
        log.info("deployment %s: deploy job stopped (cancelled or taken over)", dep_id)
        return
    except NodeFailed as exc:
        _fail_attempt(engine, dep_id, attempt_id, site, exc.node, exc.index, str(exc))
        return
    except CumuloError as exc:
        _fail_attempt(engine, dep_id, attempt_id, site, None, None, str(exc))
        return
    _complete(engine, dep_id, attempt_id, outputs)


def _ping(driver: Driver, site: Site) -> None:
    try:
        driver.ping()
    except CumuloError as exc:
        raise CumuloError(f"site {site.name} is unreachable: {exc}") from exc


def _start_attempt(engine: Engine, dep_id: str, site: Site, plan: Any) -> int | None:
    """Open an attempt (or resume the running one after a takeover) and its resource rows."""
    required_by: dict[str, set[str]] = defaultdict(set)
    for inst in plan.instances:
        for req in getattr(inst, "requirements", None) or ():
            target = getattr(req, "node", None)
            if target:
                required_by[target].add(inst.node)
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None or dep.status != Status.CREATE_IN_PROGRESS:
            return None
        attempt = s.scalars(
            select(Attempt)
            .where(Attempt.deployment_id == dep_id, Attempt.status == "RUNNING")
            .order_by(Attempt.id.desc())
        ).first()
        if attempt is None:
            number = len(s.scalars(select(Attempt.id).where(Attempt.deployment_id == dep_id)).all())
            attempt = Attempt(deployment_id=dep_id, number=number + 1, site_name=site.name)
            s.add(attempt)
            s.flush()
            record(s, dep_id, "info", f"attempt {attempt.number} on site {site.name}")
        else:
            record(s, dep_id, "info", f"resuming attempt {attempt.number} on site {site.name}")
        dep.site_name = site.name
        dep.task = "DEPLOYER"
        existing = {(r.node_name, r.node_index): r for r in dep.resources}
        for inst in plan.instances:
            res = existing.get((inst.node, inst.index))
            if res is None:
                res = Resource(
                    deployment_id=dep_id, node_name=inst.node, node_index=inst.index,
                    node_type=inst.type, state=NodeState.INITIAL.value, attributes={},
                )  # fmt: skip
                s.add(res)
            elif res.state == NodeState.ERROR:
                set_resource_state(s, res, NodeState.INITIAL)
            res.attempt_id = attempt.id
            res.site_name = site.name
            res.required_by = sorted(required_by.get(inst.node, ()))
        return attempt.id


def _realize_all(
    engine: Engine,
    driver: Driver,
    site: Site,
    plan: Any,
    dep_id: str,
    deadline: float,
    lost: threading.Event,
) -> dict[tuple[str, int], dict[str, Any]]:
    keys = ssh_keys_from_inputs(plan.inputs)
    attributes: dict[tuple[str, int], dict[str, Any]] = {}
    physical: dict[tuple[str, int], str] = {}
    for inst in plan.instances:  # dependency order: hosts before what they host
        key = (inst.node, inst.index)
        host_id = None
        if inst.host:
            host_id = physical.get((inst.host, inst.index)) or physical.get((inst.host, 0))
        req = node_request(
            dep_id, inst, host_physical_id=host_id,
            ssh_user=engine.settings.default_ssh_user, ssh_public_keys=keys,
        )  # fmt: skip
        done = _resume_point(engine, dep_id, key, lost)
        if done is not None:
            physical[key], attributes[key] = done
            continue
        try:
            pid, attrs = _realize_one(engine, driver, site, req, deadline, lost)
        except (Cancelled, NodeFailed):
            raise
        except CumuloError as exc:
            raise NodeFailed(inst.node, inst.index, str(exc)) from exc
        except Exception as exc:  # a driver bug must still fail the node, not the worker
            log.exception("driver error on %s %s[%s]", dep_id, inst.node, inst.index)
            raise NodeFailed(inst.node, inst.index, f"internal driver error: {exc!r}") from exc
        if pid:
            physical[key] = pid
        attributes[key] = attrs
    return attributes


def _resume_point(
    engine: Engine, dep_id: str, key: tuple[str, int], lost: threading.Event
) -> tuple[str, dict[str, Any]] | None:
    """The stored result of a node already configured, or None; raises Cancelled."""
    with engine.db.session() as s:
        _check_running(s, dep_id, lost)
        res = _resource(s, dep_id, key)
        if res.state == NodeState.CONFIGURED:
            return res.physical_id or "", dict(res.attributes or {})
    return None


def _realize_one(
    engine: Engine,
    driver: Driver,
    site: Site,
    req: NodeRequest,
    deadline: float,
    lost: threading.Event,
) -> tuple[str | None, dict[str, Any]]:
    key = (req.node, req.index)
    label = f"{req.node}[{req.index}]"
    if not driver.realizes(req):
        with engine.db.session() as s:
            res = _resource(s, req.deployment_id, key)
            advance(s, res, NodeState.CONFIGURING, CONFIGURE_PATH)
            record(
                s, req.deployment_id, "info",
                f"{req.type} is not realized by site {site.name}: its interface operations "
                "were skipped (configuration by Ansible is not available yet)", node=label,
            )  # fmt: skip
            advance(s, res, NodeState.CONFIGURED, CONFIGURE_PATH)
        return None, {}
    with engine.db.session() as s:
        advance(s, _resource(s, req.deployment_id, key), NodeState.CREATING)
    realized = driver.create(req)
    with engine.db.session() as s:
        res = _resource(s, req.deployment_id, key)
        res.physical_id = realized.physical_id
        res.attributes = json_safe(realized.attributes)
        advance(s, res, NodeState.CONFIGURING)
        record(s, req.deployment_id, "driver", f"created {realized.physical_id}", node=label)
        _check_running(s, req.deployment_id, lost)
    ready: Realized = driver.wait_ready(req, realized, deadline)
    with engine.db.session() as s:
        res = _resource(s, req.deployment_id, key)
        res.physical_id = ready.physical_id
        res.attributes = json_safe(ready.attributes)
        advance(s, res, NodeState.CONFIGURED)
        record(s, req.deployment_id, "driver", f"{ready.physical_id} is ready", node=label)
    return ready.physical_id, dict(ready.attributes)


def _resource(s: Any, dep_id: str, key: tuple[str, int]) -> Resource:
    res = s.scalars(
        select(Resource).where(
            Resource.deployment_id == dep_id,
            Resource.node_name == key[0],
            Resource.node_index == key[1],
        )
    ).one()
    return res


def _check_running(s: Any, dep_id: str, lost: threading.Event) -> None:
    if lost.is_set():
        raise Cancelled()
    status = s.scalar(select(Deployment.status).where(Deployment.id == dep_id))
    if status != Status.CREATE_IN_PROGRESS:
        raise Cancelled()


def _complete(engine: Engine, dep_id: str, attempt_id: int, outputs: dict[str, Any]) -> None:
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None or dep.status != Status.CREATE_IN_PROGRESS:
            return
        attempt = s.get(Attempt, attempt_id)
        if attempt is not None:
            attempt.status, attempt.ended_at = "SUCCEEDED", utcnow()
        dep.outputs = outputs
        dep.task = "NONE"
        set_deployment_status(s, dep, Status.CREATE_COMPLETE)


def _fail_attempt(
    engine: Engine,
    dep_id: str,
    attempt_id: int,
    site: Site,
    node: str | None,
    index: int | None,
    error: str,
) -> None:
    """Clean the attempt's resources up on the site, then fail the deployment."""
    with engine.db.session() as s:
        if node is not None and index is not None:
            set_resource_state(s, _resource(s, dep_id, (node, index)), NodeState.ERROR)
        record(s, dep_id, "error", f"attempt failed on site {site.name}: {error}")
    reason = f"Error on site {site.name}: {error}"
    try:
        removed = engine.driver(site).delete_deployment(dep_id)
        cleanup = f"removed {len(removed)} resource(s) of the failed attempt"
    except Exception as exc:  # the deployment must fail cleanly even if cleanup cannot run
        cleanup = f"cleanup of the failed attempt failed: {exc}"
        reason += f"; {cleanup}"
    with engine.db.session() as s:
        record(s, dep_id, "info", cleanup)
        for res in s.scalars(select(Resource).where(Resource.attempt_id == attempt_id)):
            if res.state != NodeState.ERROR:
                set_resource_state(s, res, NodeState.ERROR)
            res.physical_id = None
        attempt = s.get(Attempt, attempt_id)
        if attempt is not None:
            attempt.status, attempt.error, attempt.ended_at = "FAILED", error, utcnow()
    _fail(engine, dep_id, attempt_id, reason)


def _fail(engine: Engine, dep_id: str, attempt_id: int | None, reason: str) -> None:
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None or dep.status != Status.CREATE_IN_PROGRESS:
            return
        dep.task = "NONE"
        set_deployment_status(s, dep, Status.CREATE_FAILED, reason)

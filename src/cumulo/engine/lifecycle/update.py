"""The update job: bring a deployment's resources to its new template and parameters.

The request stored the new desired state. The job first reconciles the stored
resources with the new plan: instances the plan no longer has (a node removed,
``count`` lowered, ids named in ``removal_list``) are removed; those whose
driver request changed (their ``spec_digest``) are removed to be made again;
the others keep their index and are left untouched (same container). Then one
attempt on the deployment's site makes what is missing. A failed update keeps
what exists (UPDATE_FAILED); another update retries.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from sqlalchemy import select

from cumulo.engine.accounts import account_name
from cumulo.engine.events import record
from cumulo.engine.jobs.queue import ClaimedJob
from cumulo.engine.lifecycle.attempt import run_attempt
from cumulo.engine.lifecycle.attempt_context import AttemptContext
from cumulo.engine.lifecycle.configure_step import request_keys
from cumulo.engine.lifecycle.deploy import prepare, settle
from cumulo.engine.lifecycle.node_requests import node_request, spec_digest
from cumulo.engine.runtime import Engine
from cumulo.engine.states import NodeState, Status, set_resource_state
from cumulo.errors import CumuloError
from cumulo.store.models import Deployment, Resource, Site
from cumulo.tosca import NodeInstance

log = logging.getLogger(__name__)
UPDATING = Status.UPDATE_IN_PROGRESS


def run_update(engine: Engine, job: ClaimedJob, lost: threading.Event) -> None:
    ctx = prepare(engine, job, lost, UPDATING)
    if ctx is None:
        return
    ctx.clean_on_failure = False
    try:
        site = _site_of(engine, ctx.dep_id)
        _reconcile(ctx, site)
    except CumuloError as exc:
        settle(engine, ctx.dep_id, UPDATING, Status.UPDATE_FAILED, f"Error on update: {exc}")
        return
    result = run_attempt(ctx, site)
    if result.outcome == "CANCELLED":
        return
    if result.ok:
        settle(engine, ctx.dep_id, UPDATING, Status.UPDATE_COMPLETE, None, result.outputs)
    else:
        reason = f"Error on site {result.site}: {result.error}"
        settle(engine, ctx.dep_id, UPDATING, Status.UPDATE_FAILED, reason)


def _site_of(engine: Engine, dep_id: str) -> Site:
    """Where the deployment lives: an update stays on its site."""
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        name = dep.site_name if dep is not None else None
        site = s.get(Site, name) if name else None
        if site is None:
            raise CumuloError(f"the deployment's site {name or '(none)'} is not registered")
        s.expunge(site)
        return site


def _removal_ids(instances: list[NodeInstance]) -> set[str]:
    """The resource ids (uuid or physical id) named in the node's scalable ``removal_list``."""
    ids: set[str] = set()
    for inst in instances:
        listed = (inst.capabilities or {}).get("scalable", {}).get("removal_list") or []
        if isinstance(listed, list):
            ids.update(str(v) for v in listed if v)
    return ids


def _named(res: Resource, ids: set[str]) -> bool:
    if res.id in ids:
        return True
    pid = res.physical_id or ""
    return bool(pid) and any(len(i) >= 12 and pid.startswith(i) for i in ids)


def _hosted_on(
    redo: list[Resource],
    instances: list[NodeInstance],
    by_node: dict[str, list[Resource]],
    drop: list[Resource],
) -> list[Resource]:
    """What a host made again carries: its hosted nodes are configured again (their
    operations ran on the old host), in plan order so that chains follow."""
    remade = {r.node_name for r in redo}
    more: list[Resource] = []
    for inst in instances:  # dependencies (hosts) first
        if inst.host in remade and inst.node not in remade:
            remade.add(inst.node)
            more += [r for r in by_node.get(inst.node, []) if r not in redo and r not in drop]
    return more


def _reconcile(ctx: AttemptContext, site: Site) -> None:
    """Map the plan onto the stored resources; remove what goes and what changed."""
    keys = request_keys(ctx.engine, ctx.dep_id, ctx.plan)
    user = account_name(ctx.engine, ctx.dep_id)
    planned: dict[str, list[NodeInstance]] = defaultdict(list)
    for inst in ctx.plan.instances:
        planned[inst.node].append(inst)
    with ctx.engine.db.session() as s:
        rows = s.scalars(
            select(Resource)
            .where(Resource.deployment_id == ctx.dep_id)
            .order_by(Resource.node_name, Resource.node_index)
        ).all()
        by_node: dict[str, list[Resource]] = defaultdict(list)
        for res in rows:
            by_node[res.node_name].append(res)
        drop: list[Resource] = [r for n, rs in by_node.items() if n not in planned for r in rs]
        redo: list[Resource] = []
        for node, instances in planned.items():
            removal = _removal_ids(instances)
            survivors = [r for r in by_node.get(node, []) if not _named(r, removal)]
            kept = survivors[: len(instances)]
            drop += [r for r in by_node.get(node, []) if r not in kept]
            next_index = max((r.node_index for r in by_node.get(node, [])), default=-1) + 1
            for inst in instances:
                if inst.index < len(kept):
                    res = kept[inst.index]
                    ctx.index_map[(node, inst.index)] = res.node_index
                    req = node_request(
                        ctx.dep_id, inst, host_physical_id=None, ssh_user=user,
                        ssh_public_keys=keys,
                    )  # fmt: skip
                    if res.spec_digest and res.spec_digest != spec_digest(req):
                        redo.append(res)
                else:
                    ctx.index_map[(node, inst.index)] = next_index
                    next_index += 1
        redo += _hosted_on(redo, ctx.plan.instances, by_node, drop)
        gone = [(r.id, r.node_name, r.node_index, r.physical_id) for r in drop]
        changed = [(r.id, r.node_name, r.node_index, r.physical_id) for r in redo]
    driver = ctx.engine.job_driver(site)
    for rid, node, index, pid in gone + changed:
        if pid:
            driver.delete(pid)  # already gone is success: a retried job repeats this safely
        with ctx.engine.db.session() as s:
            res = s.get(Resource, rid)
            if res is None:
                continue
            label = f"{node}[{index}]"
            if (rid, node, index, pid) in gone:
                record(s, ctx.dep_id, "info", "removed by the update", node=label)
                s.delete(res)
            else:
                record(s, ctx.dep_id, "info", "changed by the update: made again", node=label)
                set_resource_state(s, res, NodeState.ERROR)
                res.physical_id, res.attributes, res.spec_digest = None, {}, None

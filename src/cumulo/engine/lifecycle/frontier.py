"""The node instances of an attempt advance together: each as soon as what it needs is done.

The rule: a node instance depends on its host's instance of the same index
(every host instance if there is none), on every instance of
the nodes it requires, and on every instance of a node whose attributes its
values read (``get_attribute``), as far as they come before it in plan order
(the plan puts requirements first, so the dependencies never form a cycle).
An instance whose dependencies are all done is stepped (``node_step``: made
and looked at by the driver, or configured by its operations on its host),
at most ``MAX_STEPS`` at once per job, each on a thread of its own, even while
an instance before it in plan order is still waiting.

An instance not ready yet (its step parked) is looked at again in this run
once its next look is due, if other steps still hold the worker; when no
instance can advance any more, the job parks once for all that wait (the
first in plan order is named, "+2 more") until the first look is due, and its
next run resumes each from the stored resource states (``resume_point``).

The steps share the driver; its ``create`` calls are made one at a time
(``OneCreateAtATime``): a site may make an object its nodes share on first
use (the Docker site: the deployment's network) and two first uses at once
would each make one. Their waits, looks and Ansible runs overlap.

Each step keeps its own short transactions and its crash safety: a step
starts from what the attempt's opening read or, after a park in this run,
from its row read again, so no node is made twice. When a step fails (or the
job is cancelled), no new step starts, the running ones are awaited (an
Ansible run ends on its own; none is left behind) and the first failure is
raised.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any, cast

from sqlalchemy.exc import DBAPIError

from cumulo.drivers.base import Driver, NodeRequest, Realized
from cumulo.engine.accounts import account_name
from cumulo.engine.deadlines import Deadline
from cumulo.engine.jobs.queue import Parked
from cumulo.engine.lifecycle.attempt_context import AttemptContext, Cancelled, NodeFailed
from cumulo.engine.lifecycle.configure_step import request_keys
from cumulo.engine.lifecycle.node_requests import node_request
from cumulo.engine.lifecycle.node_step import configure_one, realize_one, resume_point
from cumulo.engine.lifecycle.site_outage import site_back
from cumulo.engine.lifecycle.waiting import NodeParked, parked_on
from cumulo.errors import CumuloError, DriverTimeout, SiteError
from cumulo.store.models import Site
from cumulo.tosca import NodeInstance
from cumulo.tosca.plan import Deferred

log = logging.getLogger(__name__)

MAX_STEPS = 4  # node steps at once per job (driver calls, Ansible runs)
Key = tuple[str, int]
Attributes = dict[Key, dict[str, Any]]


def dependencies(instances: Sequence[tuple[NodeInstance, Key]]) -> dict[Key, set[Key]]:
    """(node, stored index) -> the instances it waits for (see the module's doc), from
    the plan's instances (in plan order) with their stored keys."""
    position = {key: n for n, (_, key) in enumerate(instances)}
    by_node: dict[str, list[Key]] = {}
    for _, key in instances:
        by_node.setdefault(key[0], []).append(key)
    deps: dict[Key, set[Key]] = {}
    for inst, key in instances:
        needed: set[Key] = set()
        if inst.host:
            same = (inst.host, key[1])
            needed.update([same] if same in position else by_node.get(inst.host, ()))
        # the host requirement means the host's instance of its index (above)
        required = {r.node for r in inst.requirements or () if r.node and r.node != inst.host}
        for node in (required | _read_nodes(inst)) - {inst.node}:
            needed.update(by_node.get(node, ()))
        deps[key] = {k for k in needed if position[k] < position[key]}
    return deps


def _read_nodes(inst: NodeInstance) -> set[str]:
    """The nodes whose attributes the instance's values read (``get_attribute``)."""
    found: set[str] = set()
    values: list[Any] = [inst.properties, inst.capabilities, inst.attributes]
    values += [op.inputs for ops in inst.interfaces.values() for op in ops.values()]
    while values:
        value = values.pop()
        if isinstance(value, Deferred):
            values.append(value.expr)
        elif isinstance(value, dict):
            call = value.get("get_attribute")
            if isinstance(call, list) and call and isinstance(call[0], str):
                found.add(call[0])
            values.extend(value.values())
        elif isinstance(value, list | tuple):
            values.extend(value)
    return found


class OneCreateAtATime:
    """The site's driver, its ``create`` calls one at a time (see the module's doc)."""

    def __init__(self, driver: Driver) -> None:
        self._driver, self._creating = driver, threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def create(self, request: NodeRequest) -> Any:
        with self._creating:
            return self._driver.create(request)


def realize_all(ctx: AttemptContext, driver: Driver, site: Site, deadline: Deadline) -> Attributes:
    """Every instance of the plan realized; (node, stored index) -> runtime attributes.
    Raises ``Parked`` when instances wait and none can advance."""
    driver = cast(Driver, OneCreateAtATime(driver))
    keys = request_keys(ctx.engine, ctx.dep_id, ctx.plan)
    ssh_user = ctx.ssh_user or account_name(ctx.engine, ctx.dep_id)
    pairs = [(inst, (inst.node, ctx.stored_index(inst))) for inst in ctx.plan.instances]
    insts = {key: inst for inst, key in pairs}
    deps = dependencies(pairs)
    attributes: Attributes = {}
    physical: dict[Key, str] = {}
    todo: list[Key] = []  # plan order
    started: dict[Key, Realized | None] = {}
    for key in insts:
        done, before = resume_point(ctx, key)
        if done is None:
            todo.append(key)
            started[key] = before
        else:
            physical[key], attributes[key] = done

    def step(key: Key, alone: bool) -> Future[tuple[str | None, dict[str, Any]]]:
        """The instance's step, started with the request as things are now."""
        inst, index = insts[key], key[1]
        host_id = None
        if inst.host:
            host_id = physical.get((inst.host, index)) or physical.get((inst.host, 0))
        req = node_request(
            ctx.dep_id, inst, host_physical_id=host_id,
            ssh_user=ssh_user, ssh_public_keys=keys, physical_ids=dict(physical),
        )  # fmt: skip
        if index != inst.index:
            req = replace(req, index=index)
        args = (ctx, driver, site, deadline, inst, req, dict(attributes), started[key])
        return runner.run(alone, _step, *args)

    parked: dict[Key, tuple[float, Parked]] = {}  # when to look again (monotonic), the park
    running: dict[Future[tuple[str | None, dict[str, Any]]], Key] = {}
    failure: BaseException | None = None
    runner = _Runner(f"attempt-{ctx.dep_id[:8]}")
    try:
        while True:
            if failure is None:
                ready = _ready(todo, deps, attributes, running.values(), parked, MAX_STEPS)
                alone = len(ready) == 1 and not running and not parked
                for key in ready:
                    if key in parked:  # looked at again: from its row as the park left it
                        del parked[key]
                        ctx.opened.pop(key, None)
                        started[key] = resume_point(ctx, key)[1]
                    running[step(key, alone)] = key
            if not running:
                break
            due = min((at for at, _ in parked.values()), default=None)
            timeout = None  # until a step ends, or a parked one is due and there is room
            if due is not None and failure is None and len(running) < MAX_STEPS:
                timeout = max(due - time.monotonic(), 0.01)
            with ctx.engine.steps.released():  # the steps' threads work meanwhile
                finished, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in finished:
                key = running.pop(future)
                try:
                    physical_id, attrs = future.result()
                except Parked as exc:
                    parked[key] = (time.monotonic() + exc.delay, exc)
                except BaseException as exc:  # raised below, once every step has ended
                    failure = failure or exc
                else:
                    todo.remove(key)
                    if physical_id:
                        physical[key] = physical_id
                    attributes[key] = attrs
    finally:
        runner.close()
    if failure is not None:
        raise failure
    if parked:
        raise _park_all(ctx, todo, parked, deadline)
    return attributes


class _Runner:
    """Runs the steps: in the worker's own thread when one step is all there is to do (a
    deployment of one node, a chain), else on a pool of at most ``MAX_STEPS`` threads
    made at its first need (a thread per step costs more than a sim site's whole step)."""

    def __init__(self, name: str) -> None:
        self.name, self.pool = name, cast(ThreadPoolExecutor | None, None)

    def run(self, alone: bool, fn: Any, *args: Any) -> Future[Any]:
        if alone:
            done: Future[Any] = Future()
            try:
                done.set_result(fn(*args))
            except BaseException as exc:  # as a pool's future holds it: the caller sorts it
                done.set_exception(exc)
            return done
        if self.pool is None:
            self.pool = ThreadPoolExecutor(MAX_STEPS, thread_name_prefix=self.name)
        return self.pool.submit(contextvars.copy_context().run, fn, *args)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def _ready(
    todo: list[Key], deps: dict[Key, set[Key]], done: Attributes, running: Iterable[Key],
    parked: dict[Key, tuple[float, Parked]], room: int,
) -> list[Key]:  # fmt: skip
    """The instances to step now, in plan order: their dependencies done, not running,
    and if parked, due again while another step holds the worker anyway."""
    busy = set(running)
    now, chosen = time.monotonic(), []
    for key in todo:
        if len(busy) + len(chosen) >= room:
            break
        if key in busy or not deps[key].issubset(done):
            continue
        if key in parked and (parked[key][0] > now or not (busy or chosen)):
            continue
        chosen.append(key)
    return chosen


def _park_all(
    ctx: AttemptContext, todo: list[Key], parked: dict[Key, tuple[float, Parked]],
    deadline: Deadline,
) -> Parked:  # fmt: skip
    """One park for every instance waiting, until the first is due."""
    waits = [parked[key][1] for key in todo if key in parked]
    delay = max(min(at for at, _ in parked.values()) - time.monotonic(), 0)
    if len(waits) == 1 or not all(isinstance(p, NodeParked) for p in waits):
        return Parked(delay, waits[0].write)
    named = [(p.label, p.waiting) for p in waits if isinstance(p, NodeParked)]
    return parked_on(ctx, named, deadline, delay)


def _step(
    ctx: AttemptContext, driver: Driver, site: Site, deadline: Deadline, inst: NodeInstance,
    req: Any, attributes: Attributes, before: Realized | None,
) -> tuple[str | None, dict[str, Any]]:  # fmt: skip
    """One instance's step; a failure of its own is ``NodeFailed`` with its reason."""
    try:
        while True:
            try:
                deadline.check(f"node {inst.node}[{req.index}] was not started")
                if driver.realizes(req):
                    return realize_one(ctx, driver, req, deadline, before)
                return None, configure_one(ctx, inst, req, attributes, site, deadline)
            except SiteError as exc:
                if isinstance(exc, DriverTimeout) or not site_back(ctx, driver, site, deadline):
                    raise
                before = None  # the engine restarted: the node's steps are idempotent
    except (Cancelled, NodeFailed, DBAPIError, Parked):
        raise  # a database outage is the worker's to wait out, not the node's failure
    except CumuloError as exc:
        raise NodeFailed(inst.node, req.index, str(exc)) from exc
    except Exception as exc:  # a driver bug must still fail the node, not the worker
        log.exception("driver error on %s %s[%s]", ctx.dep_id, inst.node, req.index)
        raise NodeFailed(inst.node, req.index, f"internal driver error: {exc!r}") from exc

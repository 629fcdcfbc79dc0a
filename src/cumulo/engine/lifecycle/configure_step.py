"""The engine's side of configuration: a software component's operations run by
``cumulo.configure`` on its host, their Ansible output in the deployment's log.

A node the site's driver does not realize natively is configured here: its
Standard ``create``, ``configure`` and ``start`` operations run in that order
on its host (plan order already puts hosts and dependencies first); on
deletion, ``stop`` and ``delete`` run in reverse plan order before the site
removes the resources. The host is reached over SSH where its site's driver
says (``cumulo.configure.reach``: its address, port and account, and the site's
jump host), with the deployment's access key, installed on every Compute of a
deployment that has operations to run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from cumulo.configure import (
    DEPLOY_OPERATIONS,
    TEARDOWN_OPERATIONS,
    Configurator,
    Route,
    operations_of,
    route_to,
)
from cumulo.engine.events import record
from cumulo.engine.outputs import json_safe
from cumulo.engine.runtime import Engine
from cumulo.errors import CumuloError
from cumulo.store.models import Deployment, Site
from cumulo.tosca import Plan
from cumulo.tosca.input_roles import Role, keys_in

log = logging.getLogger(__name__)
Attributes = Mapping[tuple[str, int], Mapping[str, Any]]


def access_keys(engine: Engine, dep_id: str, plan: Plan) -> tuple[str, ...]:
    """The configuration key to install on hosts, if any node has operations to run."""
    if any(operations_of(i, DEPLOY_OPERATIONS + TEARDOWN_OPERATIONS) for i in plan.instances):
        return (Configurator.from_settings(engine.settings).public_key(dep_id),)
    return ()


def request_keys(engine: Engine, dep_id: str, plan: Plan) -> tuple[str, ...]:
    """The public keys a host of the deployment gets: the owner's (from the inputs) and,
    when operations run, cumulo's; create and update must agree, or every node of a
    template with operations would look changed on update and be made again."""
    owner = [n for n, roles in plan.roles.items() if Role.SSH_KEY in roles]
    return keys_in(plan.inputs, owner) + access_keys(engine, dep_id, plan)


def host_route(instance: Any, index: int, attributes: Attributes, site: Site | None) -> Route:
    """How to reach the instance's host over SSH, from what the site's driver reported."""
    host: Mapping[str, Any] = {}
    if instance.host:
        host = attributes.get((instance.host, index)) or attributes.get((instance.host, 0)) or {}
    options = (site.options if site is not None else None) or {}
    return route_to(instance.node, instance.host, host, options, site.name if site else "")


def run_operations(
    engine: Engine,
    dep_id: str,
    plan: Plan,
    instance: Any,
    index: int,
    attributes: Attributes,
    site: Site | None,
    names: Sequence[str] = DEPLOY_OPERATIONS,
) -> dict[str, Any]:
    """Run the instance's operations ``names`` on its host (on ``site``); its attributes
    (``operation_outputs``)."""
    label = f"{instance.node}[{index}]"
    if not operations_of(instance, names):
        with engine.db.session() as s:
            record(s, dep_id, "info", f"{instance.type} has no {'/'.join(names)} operation "
                   "to run", node=label)  # fmt: skip
        return {}
    route = host_route(instance, index, attributes, site)

    def lookup(node: str, i: int) -> Mapping[str, Any]:
        return attributes.get((node, i), {})

    def evaluate(expr: Any) -> Any:
        return json_safe(plan.evaluate(expr, instance, lookup))

    def append_log(operation: str, output: str) -> None:
        with engine.db.session() as s:
            record(s, dep_id, "ansible", f"{operation}:\n{output.rstrip()}", node=label)

    configurator = Configurator.from_settings(engine.settings)
    configurator = replace(configurator, facts={**configurator.facts, **_owner(engine, dep_id)})
    with engine.steps.released():  # an Ansible run: other workers go on meanwhile
        outputs = configurator.run(dep_id, instance, names, route, evaluate, append_log)
    return {"operation_outputs": outputs}


def _owner(engine: Engine, dep_id: str) -> dict[str, str]:
    """Who owns the deployment, for its playbooks (a notebook hub logging in with OIDC
    groups admits its owner too): their issuer and subject."""
    with engine.db.reader() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None:
            return {}
        return {"cumulo_owner_issuer": dep.owner_issuer, "cumulo_owner_subject": dep.owner_subject}


def run_teardown(engine: Engine, dep_id: str, template: str, parameters: dict[str, Any],
                 attributes: Attributes) -> None:  # fmt: skip
    """``stop`` then ``delete`` of each configured node, last first; failures are logged,
    never block the removal of the deployment."""
    try:
        plan = engine.plan(template, parameters)
    except CumuloError:
        return  # nothing could have been configured from a template that does not plan
    site = _deployment_site(engine, dep_id)
    for instance in reversed(plan.instances):
        if (instance.node, instance.index) not in attributes:
            continue  # never configured
        if not operations_of(instance, TEARDOWN_OPERATIONS):
            continue
        try:
            run_operations(engine, dep_id, plan, instance, instance.index, attributes, site,
                           TEARDOWN_OPERATIONS)  # fmt: skip
        except CumuloError as exc:
            with engine.db.session() as s:
                record(s, dep_id, "error", f"{exc} (the deployment is removed anyway)",
                       node=f"{instance.node}[{instance.index}]")  # fmt: skip


def _deployment_site(engine: Engine, dep_id: str) -> Site | None:
    """The site the deployment runs on (its options say how its hosts are reached)."""
    with engine.db.reader() as s:
        dep = s.get(Deployment, dep_id)
        site = s.get(Site, dep.site_name) if dep is not None and dep.site_name else None
        if site is not None:
            s.expunge(site)
    return site

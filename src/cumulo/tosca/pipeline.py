"""The validation and planning pipeline over a loaded template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.tosca import section_validation as sections
from cumulo.tosca.assignments import check_one
from cumulo.tosca.function_checks import check_functions
from cumulo.tosca.functions import Ctx, Evaluator, FunctionError
from cumulo.tosca.input_roles import input_roles
from cumulo.tosca.inputs import input_definitions, resolve_inputs
from cumulo.tosca.issues import IssueLog, did_you_mean
from cumulo.tosca.model import NodeModel
from cumulo.tosca.node_validation import Checker, check_node
from cumulo.tosca.plan import Plan, own_copy
from cumulo.tosca.primitives import contains_function
from cumulo.tosca.requirement_validation import check_requirements
from cumulo.tosca.substitution import check_substitution_mappings
from cumulo.tosca.template import Template
from cumulo.tosca.topology import (
    DEFAULT_MAX_DEPLOYMENT_INSTANCES,
    dependency_order,
    has_deferred,
    hosts_of,
    instance_counts,
    make_instances,
    over_instance_limit,
)

_TT = ("topology_template",)


def run(
    tpl: Template,
    params: Mapping[str, Any] | None,
    log: IssueLog,
    *,
    strict_inputs: bool,
    max_instances: int = DEFAULT_MAX_DEPLOYMENT_INSTANCES,
) -> Plan | None:
    ck = Checker(tpl.doc, tpl.registry, log)
    _check_own_types(ck, tpl)
    tt = tpl.topology
    raw_tt = tpl.root.get("topology_template")
    if raw_tt is not None and not isinstance(raw_tt, dict):
        ck.err("bad-section", "'topology_template' must be a map", _TT)
        return None
    sections.check_topology_keys(ck, tt)
    if _too_many_node_templates(ck, tt.get("node_templates"), max_instances):
        return None
    input_defs = input_definitions(ck, tt.get("inputs"))
    nodes = _nodes(ck, _with_copies(ck, tt.get("node_templates"), report=False))
    ck.nodes = nodes
    rel_templates = sections.relationship_templates(ck, tt.get("relationship_templates"))
    raw_nodes = _with_copies(ck, tt.get("node_templates"))
    raw_nodes = raw_nodes if isinstance(raw_nodes, dict) else {}
    for name, node in nodes.items():
        check_requirements(ck, node, raw_nodes[name].get("requirements"), nodes, rel_templates)
    groups = sections.groups(ck, tt.get("groups"), nodes)
    policies = sections.policies(ck, tt.get("policies"), nodes, groups)
    check_substitution_mappings(ck, tt.get("substitution_mappings"), nodes, tt.get("outputs"))
    outputs = sections.outputs(ck, tt.get("outputs"))
    for name in raw_nodes:
        if name in nodes:
            check_functions(
                ck,
                raw_nodes[name],
                (*_TT, "node_templates", name),
                input_defs,
                nodes,
                self_node=nodes[name],
            )
    for key in ("outputs", "policies", "groups", "relationship_templates"):
        check_functions(
            ck, tt.get(key), (*_TT, key), input_defs, nodes, lenient_inputs=key == "policies"
        )

    inputs = resolve_inputs(ck, input_defs, params, log, strict=strict_inputs)
    hosts = hosts_of(nodes)
    evaluator = Evaluator(inputs, nodes, {}, hosts)
    counts = instance_counts(ck, nodes, evaluator)
    evaluator.counts = counts
    if over_instance_limit(ck, nodes, counts, max_instances):
        return None
    order = dependency_order(ck, nodes)
    instances = make_instances(ck, nodes, order, counts, hosts, evaluator)
    if strict_inputs:
        _check_evaluated(ck, nodes, instances)
    for policy in policies:
        policy.properties = {k: _policy_value(evaluator, v) for k, v in policy.properties.items()}
    return Plan(
        inputs=own_copy(inputs),
        instances=instances,
        outputs=outputs,
        policies=policies,
        groups=list(groups.values()),
        warnings=log.warnings,
        order=order,
        metadata=dict(tpl.metadata),
        description=tpl.description if isinstance(tpl.description, str) else None,
        roles=input_roles(tpl.inputs),
        _evaluator=evaluator,
    )


def _too_many_node_templates(ck: Checker, raw: Any, limit: int) -> bool:
    """More node templates than a deployment may have instances: refused before checking any."""
    if not isinstance(raw, dict) or len(raw) <= limit:
        return False
    ck.err(
        "too-many-node-templates",
        f"the template has {len(raw)} node templates, over the limit of {limit} per deployment",
        (*_TT, "node_templates"),
    )
    return True


def _policy_value(evaluator: Evaluator, value: Any) -> Any:
    if not contains_function(value):
        return own_copy(value)
    try:
        return evaluator.plan_value(value, Ctx())
    except FunctionError:
        return None  # reported as a warning by check_functions


def _check_own_types(ck: Checker, tpl: Template) -> None:
    """Types defined in the template itself are checked whether used or not."""
    if tpl.registry.parent is None or tpl.registry is tpl.registry.parent:
        return
    for td in tpl.registry.own_types():
        if td.origin.doc is tpl.doc:
            ck.log.extend(tpl.registry.resolve(td).issues)


def _with_copies(ck: Checker, raw: Any, *, report: bool = True) -> dict:
    """Node templates with ``copy: other`` expanded (the copy's own keys win)."""
    if not isinstance(raw, dict):
        return raw  # _nodes reports it
    out = dict(raw)
    for name, spec in raw.items():
        if not isinstance(spec, dict) or "copy" not in spec:
            continue
        source = spec["copy"]
        path = (*_TT, "node_templates", name, "copy")
        original = raw.get(source) if isinstance(source, str) else None
        if not isinstance(original, dict) or "copy" in original:
            if report:
                why = "a template that itself copies" if isinstance(original, dict) else "unknown"
                ck.err(
                    "bad-copy",
                    f"copy names {why} node template {source!r}",
                    path,
                    hint=did_you_mean(source, raw),
                )
            out[name] = {k: v for k, v in spec.items() if k != "copy"}
            continue
        out[name] = {**original, **{k: v for k, v in spec.items() if k != "copy"}}
    return out


def _nodes(ck: Checker, raw: Any) -> dict[str, NodeModel]:
    path = (*_TT, "node_templates")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        ck.err("bad-section", "'node_templates' must be a map", path)
        return {}
    nodes = {}
    ck.declared_nodes = [n for n in raw if isinstance(n, str)]
    for name, spec in raw.items():
        node = check_node(ck, name, spec)
        if node is not None:
            nodes[name] = node
    return nodes


def _unsettled(value: Any) -> bool:
    """Deferred, or holding a null left by an optional input nobody gave."""
    if value is None or has_deferred(value):
        return True
    if isinstance(value, dict):
        return any(_unsettled(v) for v in value.values())
    if isinstance(value, list):
        return any(_unsettled(v) for v in value)
    return False


def _check_evaluated(ck: Checker, nodes: dict[str, NodeModel], instances) -> None:
    """Values that came from functions (inputs) checked against the property they fill."""
    seen: set[str] = set()
    for inst in instances:
        if inst.node in seen:
            continue
        seen.add(inst.node)
        node = nodes[inst.node]
        for name, raw in node.properties.items():
            pdef = node.type.properties.get(name)
            value = inst.properties.get(name)
            if pdef is None or not contains_function(raw) or _unsettled(value):
                continue
            inst.properties[name] = check_one(
                ck.doc, ck.reg, ck.log, pdef, value, (*node.path, "properties", name)
            )
        for cname, props in node.capabilities.items():
            cdef = node.type.capabilities[cname]
            for name, raw in props.items():
                pdef = cdef.properties.get(name)
                value = inst.capabilities[cname].get(name)
                if pdef is None or not contains_function(raw) or _unsettled(value):
                    continue
                inst.capabilities[cname][name] = check_one(
                    ck.doc,
                    ck.reg,
                    ck.log,
                    pdef,
                    value,
                    (*node.path, "capabilities", cname, "properties", name),
                )

"""Topology: hosting chains, instance counts, dependency order, instances."""

from __future__ import annotations

from typing import Any

from cumulo.tosca.functions import Ctx, Evaluator, FunctionError
from cumulo.tosca.model import NodeModel
from cumulo.tosca.node_validation import Checker
from cumulo.tosca.plan import Deferred, NodeInstance, Operation, Requirement, own_copy
from cumulo.tosca.primitives import contains_function

HOSTED_ON = "tosca.relationships.HostedOn"
MAX_INSTANCES = 10_000  # of one node template, whatever the deployment's limit
# Instances of a whole deployment (every node template's count summed), unless the
# processor is given another limit (the server's ``max_instances_per_deployment``).
DEFAULT_MAX_DEPLOYMENT_INSTANCES = 200


def hosts_of(nodes: dict[str, NodeModel]) -> dict[str, str | None]:
    """The node each node is HostedOn: its ``host`` requirement first, else any HostedOn."""
    hosts: dict[str, str | None] = {}
    for node in nodes.values():
        hosted = [
            r
            for r in node.requirements
            if r.target and r.relationship_type is not None and r.relationship_type.is_a(HOSTED_ON)
        ]
        named = [r for r in hosted if r.name == "host"]
        pick = (named or hosted or [None])[0]
        hosts[node.name] = pick.target if pick else None
    return hosts


def dependency_order(ck: Checker, nodes: dict[str, NodeModel]) -> list[str]:
    """Targets of requirements before their sources; cycles reported (and broken)."""
    deps = {
        n: [r.target for r in m.requirements if r.target and r.target in nodes]
        for n, m in nodes.items()
    }
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        trail.append(name)
        for dep in deps[name]:
            if state.get(dep) == 1:
                cycle = [*trail[trail.index(dep) :], dep]
                link = next(r for r in nodes[name].requirements if r.target == dep)
                ck.err("dependency-cycle", "dependency cycle: " + " -> ".join(cycle), link.path)
            elif dep not in state:
                visit(dep, trail)
        trail.pop()
        state[name] = 2
        order.append(name)

    for name in nodes:
        if name not in state:
            visit(name, [])
    return order


def instance_counts(ck: Checker, nodes: dict[str, NodeModel], ev: Evaluator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, node in nodes.items():
        path = (*node.path, "capabilities", "scalable", "properties", "count")
        try:
            value = ev.plan_value(node.count_expr, Ctx(name, 0))
        except FunctionError as exc:
            ck.err("bad-function", str(exc), path)
            value = 1
        if value is None:
            value = 1  # an input not given yet (check without parameters)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INSTANCES:
            ck.err(
                "bad-count",
                f"count of {name!r} must be an integer from 0 to {MAX_INSTANCES}, got {value!r}",
                path,
            )
            value = 1
        counts[name] = value
    return counts


def over_instance_limit(
    ck: Checker, nodes: dict[str, NodeModel], counts: dict[str, int], limit: int
) -> bool:
    """Report a deployment whose counts sum over ``limit``, naming its largest nodes.

    Called on the counts alone, so a count bomb is refused before any instance exists.
    """
    total = sum(counts.values())
    if total <= limit:
        return False
    largest = sorted(counts.items(), key=lambda item: -item[1])
    named = ", ".join(f"{name!r} count {n}" for name, n in largest[:3])
    more = ", ..." if len(largest) > 3 else ""
    path = (*nodes[largest[0][0]].path, "capabilities", "scalable", "properties", "count")
    ck.err(
        "too-many-instances",
        f"the template asks for {total} instances ({named}{more}), "
        f"over the limit of {limit} instances per deployment",
        path,
    )
    return True


def make_instances(
    ck: Checker,
    nodes: dict[str, NodeModel],
    order: list[str],
    counts: dict[str, int],
    hosts: dict[str, str | None],
    ev: Evaluator,
) -> list[NodeInstance]:
    out: list[NodeInstance] = []
    for name in order:
        node = nodes[name]
        for index in range(counts[name]):
            ctx = Ctx(name, index)

            def value(
                expr: Any, path: tuple, c: Ctx = ctx, first: bool = index == 0, op: bool = False
            ) -> Any:
                if not contains_function(expr):
                    return own_copy(expr)
                try:
                    return ev.plan_value(expr, c)
                except FunctionError as exc:
                    # an operation input that cannot be evaluated is passed as null
                    # (INDIGO's types have some); a property that cannot is an error
                    if first:
                        msg = f"{exc}; the operation gets null" if op else str(exc)
                        ck.err("bad-function", msg, path, warning=op)
                    return None

            inst = NodeInstance(
                node=name,
                index=index,
                type=node.type.name,
                types=node.type.lineage,
                host=hosts.get(name),
                count=counts[name],
            )
            inst.properties = {
                k: value(v, (*node.path, "properties", k)) for k, v in node.properties.items()
            }
            inst.attributes = {
                k: value(v, (*node.path, "attributes", k)) for k, v in node.attributes.items()
            }
            inst.capabilities = {
                c: {
                    k: value(v, (*node.path, "capabilities", c, "properties", k))
                    for k, v in props.items()
                }
                for c, props in node.capabilities.items()
            }
            for link in node.requirements:
                if link.target is None:
                    continue
                rctx = Ctx(
                    name, index, source=name, target=link.target, relationship=link.properties
                )
                inst.requirements.append(
                    Requirement(
                        link.name,
                        link.target,
                        link.capability,
                        link.relationship,
                        {k: value(v, link.path, rctx) for k, v in link.properties.items()},
                        _operations(
                            link.interfaces,
                            (*link.path, "relationship", "interfaces"),
                            lambda e, p, c=rctx: value(e, p, c, op=True),
                        ),
                    )
                )
            inst.interfaces = _operations(
                node.interfaces,
                (*node.path, "interfaces"),
                lambda e, p: value(e, p, op=True),
                node.artifacts,
            )
            inst.artifacts = {
                k: {a: value(b, (*node.path, "artifacts", k)) for a, b in v.items()}
                for k, v in node.artifacts.items()
            }
            out.append(inst)
    return out


def _operations(
    interfaces, base: tuple, value, artifacts: dict | None = None
) -> dict[str, dict[str, Operation]]:
    """Operations with their inputs evaluated; an implementation naming one of
    the node's artifacts is that artifact's file."""
    artifacts = artifacts or {}
    result: dict[str, dict[str, Operation]] = {}
    for iname, idef in interfaces.items():
        ops: dict[str, Operation] = {}
        for op_name, op in idef.operations.items():
            impl, deps, timeout = op.implementation, [], None
            if isinstance(impl, dict):
                deps = list(impl.get("dependencies") or [])
                timeout = impl.get("timeout")
                impl = impl.get("primary")
                if isinstance(impl, dict):
                    impl = impl.get("file")
            if isinstance(impl, str) and isinstance(artifacts.get(impl), dict):
                impl = artifacts[impl].get("file", impl)
            path = (*base, iname, op_name)  # located in the template, where the user can act
            inputs = {**{k: _input_value(v) for k, v in idef.inputs.items()}}
            inputs.update({k: _input_value(v) for k, v in op.inputs.items()})
            ops[op_name] = Operation(
                impl if isinstance(impl, str) else None,
                {k: value(v, (*path, "inputs", k)) for k, v in inputs.items()},
                deps,
                timeout,
            )
        if ops:
            result[iname] = ops
    return result


def _input_value(spec: Any) -> Any:
    """Operation inputs in types may be definitions ({type, default}); use the value."""
    if isinstance(spec, dict) and "type" in spec and ("default" in spec or "value" in spec):
        return spec.get("value", spec.get("default"))
    return spec


def has_deferred(value: Any) -> bool:
    if isinstance(value, Deferred):
        return True
    if isinstance(value, dict):
        return any(has_deferred(v) for v in value.values())
    if isinstance(value, list):
        return any(has_deferred(v) for v in value)
    return False

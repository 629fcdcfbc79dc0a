"""Static checks of function calls where they are written: argument shapes,
input names, node template names, properties and capabilities they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.tosca.issues import did_you_mean
from cumulo.tosca.model import NodeModel
from cumulo.tosca.node_validation import Checker
from cumulo.tosca.primitives import FUNCTION_NAMES, is_function

HOSTED_ON = "tosca.relationships.HostedOn"
KEYWORDS = frozenset({"SELF", "SOURCE", "TARGET", "HOST"})
_MAX_DEPTH = 64


def check_functions(
    ck: Checker,
    value: Any,
    path: tuple,
    inputs: Mapping[str, Any],
    nodes: Mapping[str, NodeModel],
    *,
    self_node: NodeModel | None = None,
    depth: int = 0,
    lenient_inputs: bool = False,
) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        if isinstance(key, str) and key.startswith("get_") and key not in FUNCTION_NAMES:
            ck.err(
                "unknown-function",
                f"unknown function {key!r}",
                path,
                hint=did_you_mean(key, FUNCTION_NAMES),
                warning=True,
            )
    if is_function(value):
        name, args = next(iter(value.items()))
        _check_call(ck, name, args, (*path, name), inputs, nodes, self_node, lenient_inputs)
        if isinstance(args, list):
            for i, a in enumerate(args):
                check_functions(
                    ck,
                    a,
                    (*path, name, i),
                    inputs,
                    nodes,
                    self_node=self_node,
                    depth=depth + 1,
                    lenient_inputs=lenient_inputs,
                )
        return
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for k, v in items:
        # inside a relationship, SELF is the relationship, not the node
        sub_self = None if k == "requirements" and depth == 0 else self_node
        check_functions(
            ck,
            v,
            (*path, k),
            inputs,
            nodes,
            self_node=sub_self,
            depth=depth + 1,
            lenient_inputs=lenient_inputs,
        )


def _check_call(ck, name, args, path, inputs, nodes, self_node, lenient_inputs) -> None:
    if name == "get_input":
        first = args[0] if isinstance(args, list) and args else args
        if isinstance(first, str) and first not in inputs:
            # policies only guide placement: there an unknown input is a warning (INDIGO examples)
            ck.err(
                "unknown-input",
                f"get_input names unknown input {first!r}"
                + ("; it evaluates to null" if lenient_inputs else ""),
                path,
                hint=did_you_mean(first, inputs),
                warning=lenient_inputs,
            )
        elif not isinstance(first, str) and not is_function(first):
            ck.err("bad-function", "get_input needs an input name", path)
        if isinstance(args, list) and len(args) != 1 and ck.doc.version < "1.3":
            # TOSCA 1.3 added [input, key or index, ...]; before it, one name
            ck.err("bad-function", f"get_input takes one input name, not {len(args)}", path)
    elif name in ("get_property", "get_attribute"):
        if not isinstance(args, list) or len(args) < 2:
            ck.err("bad-function", f"{name} needs [entity, name, ...]", path)
            return
        entity = args[0]
        if entity == "HOST":
            if name == "get_attribute":  # get_property is evaluated, and checked, at plan time
                _check_host(ck, name, self_node, (*path, 0))
            target = None  # the attribute may be on any host up the chain
        elif isinstance(entity, str) and entity in KEYWORDS:
            target = self_node if entity == "SELF" else None
        elif isinstance(entity, str) and entity in nodes:
            target = nodes[entity]
        else:
            ck.err(
                "unknown-node",
                f"{name} names unknown node template {entity!r}",
                (*path, 0),
                hint=did_you_mean(entity, [*nodes, *KEYWORDS]),
            )
            return
        if target is not None and isinstance(args[1], str):
            _check_member(ck, name, target, args[1:], path)
    elif name in ("concat", "join") and (not isinstance(args, list) or not args):
        ck.err("bad-function", f"{name} needs a list of at least one value", path)
    elif name == "token" and (not isinstance(args, list) or len(args) != 3):
        ck.err("bad-function", "token needs [string, separators, index]", path)
    elif name == "get_operation_output" and (not isinstance(args, list) or len(args) != 4):
        ck.err(
            "bad-function",
            "get_operation_output needs [entity, interface, operation, output]",
            path,
        )
    elif name == "get_artifact" and (not isinstance(args, list) or len(args) < 2):
        ck.err("bad-function", "get_artifact needs [entity, artifact, ...]", path)


def _check_member(ck: Checker, fn: str, node: NodeModel, rest: list, path: tuple) -> None:
    t = node.type
    first = rest[0]
    if first in t.capabilities and len(rest) > 1 and isinstance(rest[1], str):
        cap = t.capabilities[first]
        members = cap.properties if fn == "get_property" else {**cap.properties, **cap.attributes}
        if rest[1] in members:
            return
    if fn == "get_property":
        if first in t.properties or any(r.name == first for r in t.requirements):
            return
        ck.err(
            "unknown-property",
            f"get_property: {node.name!r} ({t.name}) has no property {first!r}",
            (*path, 1),
            hint=did_you_mean(first, t.properties),
        )
    elif not any(_declares(n, first) for n in _host_chain(ck, node)):
        # as IM reads it, a node's attribute may come from its host (a database's address)
        ck.err(
            "unknown-attribute",
            f"get_attribute: {node.name!r} ({t.name}) declares no attribute {first!r}",
            (*path, 1),
            hint=did_you_mean(first, t.attributes),
        )


def _check_host(ck: Checker, fn: str, node: NodeModel | None, path: tuple) -> None:
    """HOST needs a node with a HostedOn requirement (assigned, or declared by its type)."""
    if node is None:
        ck.err(
            "bad-function",
            f"{fn}: HOST means the host of a node template; here there is none",
            path,
        )
        return
    rel_names = [r.relationship for r in node.requirements]
    rel_names += [r.relationship for r in node.type.requirements]
    for rel in filter(None, rel_names):
        resolved = ck.reg.get("relationship_types", rel)
        if resolved is not None and resolved.is_a(HOSTED_ON):
            return
    ck.err(
        "bad-function",
        f"{fn}: HOST, but {node.name!r} ({node.type.name}) has no {HOSTED_ON} requirement",
        path,
    )


def _declares(node: NodeModel, name: str) -> bool:
    t = node.type
    return name in t.attributes or name in t.properties or name in t.capabilities


def _host_chain(ck: Checker, node: NodeModel) -> list[NodeModel]:
    """The node, its host, its host's host ... (as far as the links are known)."""
    chain = [node]
    while len(chain) <= len(ck.nodes):
        host = next(
            (
                ck.nodes.get(r.target)
                for r in chain[-1].requirements
                if r.target
                and r.relationship_type is not None
                and r.relationship_type.is_a(HOSTED_ON)
            ),
            None,
        )
        if host is None or host in chain:
            break
        chain.append(host)
    return chain

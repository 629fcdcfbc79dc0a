"""``substitution_mappings``: the topology template exported as a node type.

Checked as tosca-parser checks it: known keys only, members that exist on
both sides, filters in node_filter grammar, and outputs that are attributes of
the substituted node type (the outputs are what the substituted node shows).
"""

from __future__ import annotations

from typing import Any

from cumulo.tosca.definitions import ResolvedType
from cumulo.tosca.issues import did_you_mean
from cumulo.tosca.model import NodeModel
from cumulo.tosca.node_validation import Checker

KEYS = (
    "node_type",
    "properties",
    "attributes",
    "capabilities",
    "requirements",
    "interfaces",
    "substitution_filter",
)
_FILTER_KEYS = ("properties", "capabilities")
_PATH = ("topology_template", "substitution_mappings")
_SINGULAR = {"capabilities": "capability", "requirements": "requirement"}


def check_substitution_mappings(
    ck: Checker, raw: Any, nodes: dict[str, NodeModel], outputs: Any
) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        ck.err("bad-section", "'substitution_mappings' must be a map", _PATH)
        return
    for key in raw:
        if key not in KEYS:
            ck.err(
                "unknown-field",
                f"substitution_mappings has unknown field {key!r}",
                (*_PATH, key),
                hint=did_you_mean(key, KEYS),
                at_key=True,
            )
    stype = ck.use_type("node_types", raw.get("node_type"), _PATH, "substituted node")
    for section in ("capabilities", "requirements"):
        _members(ck, raw.get(section), section, stype, nodes)
    _properties(ck, raw.get("properties"), stype)
    _filter(ck, raw.get("substitution_filter"), (*_PATH, "substitution_filter"))
    if stype is not None:
        _outputs(ck, raw.get("attributes"), outputs, stype)


def _members(ck: Checker, mapping: Any, section: str, stype, nodes) -> None:
    if mapping is None:
        return
    path = (*_PATH, section)
    if not isinstance(mapping, dict):
        ck.err("bad-section", f"'{section}' must be a map", path)
        return
    what = _SINGULAR[section]
    declared = _names(stype, section) if stype else {}
    for name, target in mapping.items():
        mpath = (*path, name)
        if stype is not None and name not in declared:
            ck.err(
                "unknown-mapping",
                f"{stype.name} has no {what} {name!r}",
                mpath,
                hint=did_you_mean(name, declared),
                at_key=True,
            )
        if not (isinstance(target, list) and len(target) == 2):
            ck.err("bad-mapping", f"{what} mapping must be [node_template, {what}]", mpath)
            continue
        node, member = target
        if not isinstance(node, str) or node not in nodes:
            ck.err(
                "unknown-node",
                f"mapping names unknown node template {node!r}",
                mpath,
                hint=did_you_mean(node, nodes),
            )
            continue
        names = _names(nodes[node].type, section)
        if member not in names:
            ck.err(
                "unknown-mapping",
                f"{node!r} has no {what} {member!r}",
                mpath,
                hint=did_you_mean(member, names),
            )


def _names(t: ResolvedType, section: str) -> dict[str, Any]:
    return t.capabilities if section == "capabilities" else {r.name: r for r in t.requirements}


def _properties(ck: Checker, props: Any, stype: ResolvedType | None) -> None:
    if props is None:
        return
    if not isinstance(props, dict):
        ck.err("bad-section", "'properties' must be a map", (*_PATH, "properties"))
        return
    for name in props:
        if stype is not None and name not in stype.properties:
            ck.err(
                "unknown-property",
                f"{stype.name} has no property {name!r}",
                (*_PATH, "properties", name),
                hint=did_you_mean(name, stype.properties),
                at_key=True,
            )


def _filter(ck: Checker, raw: Any, path: tuple) -> None:
    """A node_filter: ``properties`` and ``capabilities`` lists (tosca-parser's shape,
    ``{node_filter: {...}}``, is read too)."""
    if raw is None:
        return
    if isinstance(raw, dict) and list(raw) == ["node_filter"]:
        raw, path = raw["node_filter"], (*path, "node_filter")
    if not isinstance(raw, dict):
        ck.err("bad-section", "'substitution_filter' must be a map", path)
        return
    for key, value in raw.items():
        if key not in _FILTER_KEYS:
            ck.err(
                "unknown-field",
                f"substitution_filter has unknown field {key!r}",
                (*path, key),
                hint=did_you_mean(key, _FILTER_KEYS),
                at_key=True,
            )
        elif not isinstance(value, list):
            ck.err("bad-section", f"substitution_filter '{key}' must be a list", (*path, key))


def _outputs(ck: Checker, attributes: Any, outputs: Any, stype: ResolvedType) -> None:
    """The outputs are the substituted node's attributes: by name, or by an explicit
    ``attributes: {attribute: [output]}`` mapping (TOSCA 1.3)."""
    out_names = list(outputs) if isinstance(outputs, dict) else []
    if isinstance(attributes, dict):
        for attr, target in attributes.items():
            apath = (*_PATH, "attributes", attr)
            if attr not in stype.attributes:
                ck.err(
                    "unknown-attribute",
                    f"{stype.name} has no attribute {attr!r}",
                    apath,
                    hint=did_you_mean(attr, stype.attributes),
                    at_key=True,
                )
            output = target[0] if isinstance(target, list) and len(target) == 1 else None
            if output not in out_names:
                ck.err("bad-mapping", "attribute mapping must be [output_name]", apath)
        return
    for name in out_names:
        if name not in stype.attributes:
            ck.err(
                "unknown-attribute",
                f"output {name!r} is not an attribute of the substituted {stype.name}",
                ("topology_template", "outputs", name),
                hint=did_you_mean(name, stype.attributes),
                at_key=True,
            )

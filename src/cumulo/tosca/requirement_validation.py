"""Requirements of node templates: targets, capabilities, relationships, occurrences."""

from __future__ import annotations

from typing import Any

from cumulo.tosca.assignments import check_assignments
from cumulo.tosca.definitions import UNBOUNDED, RequirementDef
from cumulo.tosca.issues import did_you_mean
from cumulo.tosca.model import NodeModel, RequirementLink
from cumulo.tosca.node_filter import check_node_filter
from cumulo.tosca.node_validation import Checker, check_interfaces

REQUIREMENT_KEYS = frozenset(
    {"node", "capability", "relationship", "node_filter", "occurrences", "description"}
)


def check_requirements(
    ck: Checker, node: NodeModel, raw: Any, nodes: dict[str, NodeModel], rel_templates: dict
) -> None:
    path = (*node.path, "requirements")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        ck.err("bad-section", "'requirements' must be a list of single-entry maps", path)
        raw = []
    defs = {r.name: r for r in node.type.requirements}
    counts: dict[str, int] = {}
    for i, item in enumerate(raw):
        ipath = (*path, i)
        if not isinstance(item, dict) or len(item) != 1:
            ck.err("bad-requirement", "a requirement is a map of one name to a target", ipath)
            continue
        name, spec = next(iter(item.items()))
        rpath = (*ipath, name)
        rdef = defs.get(name)
        if rdef is None:
            ck.err(
                "unknown-requirement",
                f"node type {node.type.name} has no requirement {name!r}",
                rpath,
                hint=did_you_mean(name, defs),
                at_key=True,
            )
            continue
        counts[name] = counts.get(name, 0) + 1
        link = _link(ck, node, rdef, spec, rpath, nodes, rel_templates)
        if link is not None:
            node.requirements.append(link)
    for rdef in node.type.requirements:
        n = counts.get(rdef.name, 0)
        lo, hi = rdef.occurrences
        if n > hi:
            ck.err(
                "requirement-occurrences",
                f"requirement {rdef.name!r} is assigned {n} times; at most {_bound(hi)} allowed",
                path,
            )
        elif 0 < n < lo:
            ck.err(
                "requirement-occurrences",
                f"requirement {rdef.name!r} is assigned {n} times; at least {lo} required",
                path,
            )
        elif n < lo and rdef.name != "dependency":
            ck.err(
                "requirement-unassigned",
                f"node template {node.name!r}: requirement {rdef.name!r} is not assigned "
                f"(needs at least {lo}); the orchestrator must find a target",
                node.path,
                warning=True,
                at_key=True,
            )


def _bound(hi: float) -> str:
    return "UNBOUNDED" if hi == UNBOUNDED else str(int(hi))


def _link(
    ck: Checker,
    node: NodeModel,
    rdef: RequirementDef,
    spec: Any,
    rpath: tuple,
    nodes: dict[str, NodeModel],
    rel_templates: dict,
) -> RequirementLink | None:
    if isinstance(spec, str):
        spec = {"node": spec}
        npath = rpath
    elif isinstance(spec, dict):
        npath = (*rpath, "node")
        for key in spec:
            if key not in REQUIREMENT_KEYS:
                ck.err(
                    "unknown-field",
                    f"requirement {rdef.name!r} has unknown field {key!r}",
                    (*rpath, key),
                    hint=did_you_mean(key, REQUIREMENT_KEYS),
                    at_key=True,
                )
    else:
        ck.err("bad-requirement", f"requirement {rdef.name!r} must name a node or be a map", rpath)
        return None
    target_name = spec.get("node")
    target: NodeModel | None = None
    if target_name is None:
        target_name = rdef.node  # may be fulfilled by the orchestrator (node_filter)
    if isinstance(target_name, str) and target_name in nodes:
        target = nodes[target_name]
    elif isinstance(target_name, str) and ck.reg.find("node_types", target_name) is not None:
        matches = [
            n
            for n in nodes.values()
            if n.type.is_a(ck.reg.canonical("node_types", target_name)) and n.name != node.name
        ]
        if len(matches) == 1:
            target = matches[0]
        else:
            ck.err(
                "requirement-unresolved",
                f"requirement {rdef.name!r} names node type {target_name!r}; "
                f"{len(matches)} node templates match, so the orchestrator must choose",
                npath,
                warning=True,
            )
    elif isinstance(target_name, str) and target_name in ck.declared_nodes:
        return None  # declared but invalid (its type, say): reported there already
    else:
        ck.err(
            "unknown-node",
            f"requirement {rdef.name!r} names unknown node template {target_name!r}",
            npath,
            hint=did_you_mean(target_name, ck.declared_nodes or nodes),
        )
        return None
    if (
        target is not None
        and rdef.node
        and not target.type.is_a(rdef.node)
        and target.name != node.name
    ):
        # the capability decides whether a target fits; a node type outside the
        # declared one is suspicious but legal in practice (INDIGO's Runtime.Docker)
        ck.err(
            "requirement-wrong-node",
            f"requirement {rdef.name!r} expects a {rdef.node}; "
            f"{target.name!r} is a {target.type.name}",
            npath,
            warning=True,
        )
    if target is not None and target.name == node.name:
        ck.err(
            "requirement-self", f"requirement {rdef.name!r} targets its own node template", npath
        )
        return None
    if "node_filter" in spec:
        check_node_filter(ck, spec["node_filter"], (*rpath, "node_filter"), target)
    capability = _capability(ck, rdef, spec, target, rpath, node)
    link = RequirementLink(
        rdef.name, target.name if target else None, capability, rdef.relationship, rpath
    )
    _relationship(ck, link, rdef, spec.get("relationship"), rpath, rel_templates)
    return link


def _check_source(ck: Checker, cdef, source: NodeModel, target: NodeModel, rpath: tuple) -> None:
    """valid_source_types of the target capability: a warning (tosca-parser and IM ignore it)."""
    if cdef.valid_source_types and not any(source.type.is_a(t) for t in cdef.valid_source_types):
        ck.err(
            "invalid-source-type",
            f"capability {cdef.name!r} of {target.name!r} accepts "
            f"{', '.join(cdef.valid_source_types)}, not {source.type.name}",
            rpath,
            warning=True,
        )


def _capability(
    ck: Checker,
    rdef: RequirementDef,
    spec: dict,
    target: NodeModel | None,
    rpath: tuple,
    source: NodeModel,
):
    wanted = spec.get("capability", rdef.capability)
    if target is None:
        return wanted
    caps = target.type.capabilities
    if isinstance(wanted, str) and wanted in caps:  # a capability named on the target
        if rdef.capability and not ck.reg.is_subtype(
            "capability_types", caps[wanted].type, rdef.capability
        ):
            ck.err(
                "requirement-no-capability",
                f"requirement {rdef.name!r} needs capability {rdef.capability}; "
                f"{target.name!r}'s {wanted!r} is a {caps[wanted].type}",
                (*rpath, "capability"),
            )
            return None
        _check_source(ck, caps[wanted], source, target, rpath)
        return wanted
    wanted_type = ck.reg.canonical("capability_types", wanted) if wanted else None
    if wanted is not None and wanted_type is None:
        ck.err(
            "unknown-capability",
            f"requirement {rdef.name!r}: {target.name!r} has no capability {wanted!r}",
            (*rpath, "capability"),
            hint=did_you_mean(wanted, caps),
        )
        return None
    if wanted_type is None:
        return None
    for cname, cdef in caps.items():
        if ck.reg.is_subtype("capability_types", cdef.type, wanted_type):
            _check_source(ck, cdef, source, target, rpath)
            return cname
    ck.err(
        "requirement-no-capability",
        f"requirement {rdef.name!r} needs capability {wanted_type}; "
        f"{target.name!r} ({target.type.name}) offers none",
        (*rpath, "node") if "node" in spec else rpath,
    )
    return None


def _relationship(
    ck: Checker,
    link: RequirementLink,
    rdef: RequirementDef,
    raw: Any,
    rpath: tuple,
    rel_templates: dict,
) -> None:
    props_raw, ifaces_raw = None, None
    rel_type = rdef.relationship
    path = (*rpath, "relationship")
    if isinstance(raw, str) and raw in rel_templates:
        tmpl = rel_templates[raw]
        link.relationship = tmpl.get("type_name") or rel_type
        link.relationship_type = tmpl.get("type")
        link.properties = dict(tmpl.get("properties") or {})
        link.interfaces = dict(tmpl.get("interfaces") or {})
        return
    if isinstance(raw, str):
        rel_type = raw
    elif isinstance(raw, dict):
        rel_type = raw.get("type", rel_type)
        props_raw, ifaces_raw = raw.get("properties"), raw.get("interfaces")
        path = (*path, "type")
    elif raw is not None:
        ck.err("bad-relationship", "a relationship is a type name, a template name or a map", path)
    if rel_type is None:
        rel_type = "tosca.relationships.DependsOn"
    rtype = (
        ck.use_type(
            "relationship_types",
            rel_type,
            path[:-1] if path[-1] == "type" else path,
            "relationship",
        )
        if raw is not None
        else ck.reg.get("relationship_types", rel_type)
    )
    if rtype is None:
        return
    if rdef.relationship and not rtype.is_a(rdef.relationship):
        ck.err(
            "relationship-mismatch",
            f"requirement {rdef.name!r} needs a {rdef.relationship}; "
            f"{rtype.name} does not derive from it",
            path,
        )
    link.relationship = rtype.name
    link.relationship_type = rtype
    owner = f"relationship {rtype.name} "
    link.properties = check_assignments(
        ck.doc,
        ck.reg,
        ck.log,
        rtype.properties,
        props_raw,
        (*rpath, "relationship", "properties"),
        owner=owner,
        check_missing=isinstance(raw, dict),
    )
    link.interfaces = check_interfaces(
        ck,
        rtype.interfaces,
        ifaces_raw,
        (*rpath, "relationship", "interfaces"),
        owner,
        lenient=True,
    )

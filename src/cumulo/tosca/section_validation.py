"""The other sections of a topology template: relationship templates,
policies, groups and outputs (substitution mappings: ``substitution``)."""

from __future__ import annotations

from typing import Any

from cumulo.tosca.assignments import check_assignments
from cumulo.tosca.issues import did_you_mean
from cumulo.tosca.model import NodeModel
from cumulo.tosca.node_validation import Checker, check_interfaces
from cumulo.tosca.plan import GroupDef, OutputDef, PolicyDef

TOPOLOGY_KEYS = frozenset(
    {
        "description",
        "inputs",
        "node_templates",
        "relationship_templates",
        "groups",
        "policies",
        "outputs",
        "substitution_mappings",
        "workflows",
    }
)
_TT = ("topology_template",)


def check_topology_keys(ck: Checker, tt: dict) -> None:
    for key in tt:
        if key not in TOPOLOGY_KEYS:
            ck.err(
                "unknown-field",
                f"unknown field {key!r} in topology_template",
                (*_TT, key),
                hint=did_you_mean(key, TOPOLOGY_KEYS),
                at_key=True,
            )


def relationship_templates(ck: Checker, raw: Any) -> dict[str, dict]:
    path = (*_TT, "relationship_templates")
    out: dict[str, dict] = {}
    if raw is None:
        return out
    if not isinstance(raw, dict):
        ck.err("bad-section", "'relationship_templates' must be a map", path)
        return out
    for name, spec in raw.items():
        rpath = (*path, name)
        if not isinstance(spec, dict):
            ck.err("bad-relationship", f"relationship template {name!r} must be a map", rpath)
            continue
        rtype = ck.use_type("relationship_types", spec.get("type"), rpath, "relationship")
        if rtype is None:
            continue
        owner = f"relationship template {name!r} "
        out[name] = {
            "type": rtype,
            "type_name": rtype.name,
            "properties": check_assignments(
                ck.doc,
                ck.reg,
                ck.log,
                rtype.properties,
                spec.get("properties"),
                (*rpath, "properties"),
                owner=owner,
            ),
            "interfaces": check_interfaces(
                ck, rtype.interfaces, spec.get("interfaces"), (*rpath, "interfaces"), owner
            ),
        }
    return out


def _named_entries(ck: Checker, raw: Any, path: tuple, what: str) -> list[tuple[str, Any, tuple]]:
    """Policies may be a list of single-entry maps (the spec) or a map (seen in the wild)."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        return [(k, v, (*path, k)) for k, v in raw.items()]
    if not isinstance(raw, list):
        ck.err("bad-section", f"'{path[-1]}' must be a list", path)
        return []
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, dict) and len(item) == 1:
            name, spec = next(iter(item.items()))
            out.append((name, spec, (*path, i, name)))
        else:
            ck.err(f"bad-{what}", f"each {what} is a map of one name to its definition", (*path, i))
    return out


def policies(ck: Checker, raw: Any, nodes: dict[str, NodeModel], groups: dict[str, GroupDef]):
    out: list[PolicyDef] = []
    for name, spec, ppath in _named_entries(ck, raw, (*_TT, "policies"), "policy"):
        if not isinstance(spec, dict):
            ck.err("bad-policy", f"policy {name!r} must be a map", ppath)
            continue
        for key in spec:
            if key not in ("type", "description", "metadata", "properties", "targets", "triggers"):
                ck.err(
                    "unknown-field",
                    f"policy {name!r} has unknown field {key!r}",
                    (*ppath, key),
                    at_key=True,
                )
        ptype = ck.use_type("policy_types", spec.get("type"), ppath, "policy")
        if ptype is None:
            continue
        props = check_assignments(
            ck.doc,
            ck.reg,
            ck.log,
            ptype.properties,
            spec.get("properties"),
            (*ppath, "properties"),
            owner=f"policy {name!r} ({ptype.name}) ",
        )
        targets = _targets(
            ck, spec.get("targets"), (*ppath, "targets"), nodes, groups, ptype.targets
        )
        out.append(PolicyDef(name, ptype.name, props, targets, ptype.lineage))
    return out


def _targets(ck, raw, path, nodes, groups, allowed_types) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        ck.err("bad-value", "'targets' must be a list of node template or group names", path)
        return []
    out = []
    for i, t in enumerate(raw):
        if not isinstance(t, str):
            ck.err("bad-value", f"a target is a node template or group name, got {t!r}", (*path, i))
        elif t in nodes:
            ok = not allowed_types or any(
                nodes[t].type.is_a(ck.reg.canonical("node_types", a) or a) for a in allowed_types
            )
            if not ok:
                ck.err("bad-target", f"{t!r} is not one of {', '.join(allowed_types)}", (*path, i))
            out.append(t)
        elif t in groups:
            out.append(t)
        else:
            ck.err(
                "unknown-node",
                f"unknown target {t!r}",
                (*path, i),
                hint=did_you_mean(t, [*nodes, *groups]),
            )
    return out


def groups(ck: Checker, raw: Any, nodes: dict[str, NodeModel]) -> dict[str, GroupDef]:
    path = (*_TT, "groups")
    out: dict[str, GroupDef] = {}
    for name, spec, gpath in _named_entries(ck, raw, path, "group"):
        if not isinstance(spec, dict):
            ck.err("bad-group", f"group {name!r} must be a map", gpath)
            continue
        gtype = ck.use_type("group_types", spec.get("type"), gpath, "group")
        if gtype is None:
            continue
        props = check_assignments(
            ck.doc,
            ck.reg,
            ck.log,
            gtype.properties,
            spec.get("properties"),
            (*gpath, "properties"),
            owner=f"group {name!r} ",
        )
        members = _targets(ck, spec.get("members"), (*gpath, "members"), nodes, {}, gtype.members)
        out[name] = GroupDef(name, gtype.name, members, props)
    return out


def outputs(ck: Checker, raw: Any) -> dict[str, OutputDef]:
    path = (*_TT, "outputs")
    out: dict[str, OutputDef] = {}
    if raw is None:
        return out
    if not isinstance(raw, dict):
        ck.err("bad-section", "'outputs' must be a map", path)
        return out
    for name, spec in raw.items():
        opath = (*path, name)
        if not isinstance(spec, dict) or "value" not in spec:
            ck.err("missing-field", f"output {name!r} needs a 'value'", opath, at_key=True)
            continue
        for key in spec:
            if key not in ("value", "description", "type", "status", "metadata", "required"):
                ck.err(
                    "unknown-field",
                    f"output {name!r} has unknown field {key!r}",
                    (*opath, key),
                    at_key=True,
                )
        out[name] = OutputDef(name, spec["value"], spec.get("description"))
    return out

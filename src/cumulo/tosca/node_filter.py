"""node_filter on requirements: its shape, its constraints, and whether the
target named in the template satisfies it."""

from __future__ import annotations

from typing import Any

from cumulo.tosca.constraints import parse_constraint
from cumulo.tosca.definitions import PropertyDef
from cumulo.tosca.issues import did_you_mean
from cumulo.tosca.model import NodeModel
from cumulo.tosca.node_validation import Checker
from cumulo.tosca.primitives import contains_function


def _entries(ck: Checker, raw: Any, path: tuple) -> list[tuple[Any, Any, tuple]]:
    """``[{name: clause(s)}, ...]`` (1.0 - 1.2) or ``{name: clause(s)}`` (1.3)."""
    if isinstance(raw, dict):
        return [(k, v, (*path, k)) for k, v in raw.items()]
    if isinstance(raw, list):
        out = []
        for i, item in enumerate(raw):
            if isinstance(item, dict) and len(item) == 1:
                name, clauses = next(iter(item.items()))
                out.append((name, clauses, (*path, i, name)))
            else:
                ck.err(
                    "bad-node-filter", "each entry is a map of one name to constraints", (*path, i)
                )
        return out
    ck.err("bad-node-filter", "must be a list of name: constraints", path)
    return []


def check_node_filter(ck: Checker, raw: Any, path: tuple, target: NodeModel | None) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        ck.err("bad-node-filter", "node_filter must be a map", path)
        return
    for key in raw:
        if key not in ("properties", "capabilities"):
            ck.err(
                "unknown-field",
                f"node_filter has unknown field {key!r}",
                (*path, key),
                hint=did_you_mean(key, ["properties", "capabilities"]),
                at_key=True,
            )
    if "properties" in raw:
        defs = target.type.properties if target else {}
        values = target.properties if target else {}
        _properties(ck, raw["properties"], (*path, "properties"), defs, values, target)
    if "capabilities" in raw:
        for cname, spec, cpath in _entries(ck, raw["capabilities"], (*path, "capabilities")):
            cap_def = None
            if target is not None:
                cap_def = target.type.capabilities.get(cname)
                if cap_def is None:
                    cap_def = next(
                        (
                            c
                            for c in target.type.capabilities.values()
                            if ck.reg.is_subtype("capability_types", c.type, cname)
                        ),
                        None,
                    )
                if cap_def is None:
                    ck.err(
                        "node-filter-unsatisfied",
                        f"node_filter: {target.name!r} has no capability {cname!r}",
                        cpath,
                        hint=did_you_mean(cname, target.type.capabilities),
                    )
                    continue
            if not isinstance(spec, dict):
                ck.err("bad-node-filter", f"capability {cname!r} filter must be a map", cpath)
                continue
            if "properties" in spec:
                defs = cap_def.properties if cap_def else {}
                values = target.capabilities.get(cap_def.name, {}) if target and cap_def else {}
                _properties(ck, spec["properties"], (*cpath, "properties"), defs, values, target)


def _properties(
    ck: Checker,
    raw: Any,
    path: tuple,
    defs: dict[str, PropertyDef],
    values: dict[str, Any],
    target: NodeModel | None,
) -> None:
    for name, clauses, ppath in _entries(ck, raw, path):
        if target is not None and name not in defs:
            ck.err(
                "unknown-property",
                f"node_filter: {target.name!r} has no property {name!r}",
                ppath,
                hint=did_you_mean(name, defs),
                at_key=True,
            )
            continue
        primitive = ck.reg.primitive_of(defs[name].schema.type) if name in defs else ""
        items = clauses if isinstance(clauses, list) else [clauses]
        for i, clause in enumerate(items):
            cpath = (*ppath, i) if isinstance(clauses, list) else ppath
            try:
                constraint = parse_constraint(clause, primitive)
            except ValueError as exc:
                ck.err("bad-constraint", str(exc), cpath)
                continue
            value = values.get(name)
            if target is None or value is None or contains_function(value):
                continue
            problem = constraint.check(value)
            if problem:
                ck.err(
                    "node-filter-unsatisfied",
                    f"node_filter: {target.name!r} property {name!r}: {problem}",
                    cpath,
                )

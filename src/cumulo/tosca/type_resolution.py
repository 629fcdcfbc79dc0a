"""Resolve one type: apply ``derived_from`` and check its refinements.

Called by ``Registry.resolve`` (which memoises). Problems are recorded on the
resolved type (``issues``, its ancestors' included), so a template that uses
a broken type hears about it, with the location of the type definition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cumulo.tosca.definition_builder import (
    INTERFACE_RESERVED,
    DefinitionBuilder,
)
from cumulo.tosca.definitions import (
    ResolvedType,
)
from cumulo.tosca.issues import Issue, Location, Severity, did_you_mean
from cumulo.tosca.values import PRIMITIVE_TYPES

if TYPE_CHECKING:
    from cumulo.tosca.type_registry import Registry, TypeDef

_COMMON = {"derived_from", "version", "metadata", "description"}
ALLOWED_KEYS = {
    "node_types": _COMMON
    | {"properties", "attributes", "requirements", "capabilities", "interfaces", "artifacts"},
    "relationship_types": _COMMON
    | {"properties", "attributes", "interfaces", "valid_target_types"},
    "capability_types": _COMMON | {"properties", "attributes", "valid_source_types"},
    "data_types": _COMMON | {"properties", "constraints", "key_schema", "entry_schema"},
    "artifact_types": _COMMON | {"mime_type", "file_ext", "properties"},
    "policy_types": _COMMON | {"properties", "targets", "triggers"},
    "group_types": _COMMON
    | {"properties", "attributes", "members", "requirements", "capabilities", "interfaces"},
}


def resolve_type(reg: Registry, td: TypeDef, chain: tuple[str, ...]) -> ResolvedType:
    chain = (*chain, td.name)
    td.raw  # noqa: B018 (reads a lazy definition now, so its YAML warnings are known)
    issues: list[Issue] = [_read_warning(td, p) for p in td.read_problems]
    raw = td.raw if isinstance(td.raw, dict) else {}
    if td.raw is not None and not isinstance(td.raw, dict):
        issues.append(td.origin.issue("bad-type", f"type {td.name!r} must be a map"))
    parent = _parent(reg, td, raw, chain, issues)
    out = ResolvedType(
        kind=td.kind,
        name=td.name,
        lineage=(td.name, *(parent.lineage if parent else ())),
        origin=td.origin,
    )
    if parent is not None:
        _inherit(out, parent)
        issues.extend(i for i in parent.issues if i not in issues)
    elif td.kind == "data_types" and raw.get("derived_from") in PRIMITIVE_TYPES:
        out.primitive = raw["derived_from"]
    _check_keys(td, raw, issues)
    ctx = DefinitionBuilder(reg, td.origin, issues)
    ctx.properties(out.properties, raw.get("properties"), "properties", required=True)
    ctx.properties(out.attributes, raw.get("attributes"), "attributes", required=False)
    if td.kind == "data_types":
        out.constraints = out.constraints + ctx.constraints(
            raw.get("constraints"), ("constraints",), out.primitive or ""
        )
    if td.kind in ("node_types", "group_types"):
        ctx.capabilities(out.capabilities, raw.get("capabilities"))
        out.requirements = ctx.requirements(out.requirements, raw.get("requirements"))
    if td.kind in ("node_types", "relationship_types", "group_types"):
        ctx.interfaces(out.interfaces, raw.get("interfaces"), out.kind)
    if td.kind == "node_types" and isinstance(raw.get("artifacts"), dict):
        out.artifacts = {**out.artifacts, **raw["artifacts"]}
    if td.kind == "interface_types":
        ops = [k for k in raw if k not in INTERFACE_RESERVED]
        if isinstance(raw.get("operations"), dict):
            ops += list(raw["operations"])
        out.operations = list(dict.fromkeys([*out.operations, *ops]))
    for key, attr, kind in (
        ("valid_target_types", "valid_target_types", "capability_types"),
        ("valid_source_types", "valid_source_types", "node_types"),
        ("targets", "targets", None),
        ("members", "members", "node_types"),
    ):
        if key in raw:
            setattr(out, attr, ctx.type_list(raw[key], (key,), kind))
    out.issues = issues
    return out


def _read_warning(td: TypeDef, problem: Any) -> Issue:
    loc = Location(td.origin.doc.name, *problem.mark) if problem.mark else None
    return Issue(Severity.WARNING, problem.code, problem.message, loc, "", None)


def _parent(reg, td, raw, chain, issues) -> ResolvedType | None:
    name = raw.get("derived_from")
    if name is None:
        return None
    if td.kind == "data_types" and name in PRIMITIVE_TYPES:
        return None
    parent_def = reg.find(td.kind, name)
    if parent_def is None:
        issues.append(
            td.origin.issue(
                "unknown-type",
                f"{td.name!r} derives from unknown type {name!r}",
                ("derived_from",),
                hint=did_you_mean(name, reg.names(td.kind)),
            )
        )
        return None
    if parent_def.name in chain:
        issues.append(
            td.origin.issue(
                "derivation-cycle",
                f"derivation cycle: {' -> '.join((*chain, parent_def.name))}",
                ("derived_from",),
            )
        )
        return None
    return reg.resolve(parent_def, chain)


def _inherit(out: ResolvedType, parent: ResolvedType) -> None:
    out.primitive = parent.primitive
    out.properties = dict(parent.properties)
    out.attributes = dict(parent.attributes)
    out.capabilities = dict(parent.capabilities)
    out.requirements = list(parent.requirements)
    out.interfaces = dict(parent.interfaces)
    out.artifacts = dict(parent.artifacts)
    out.constraints = list(parent.constraints)
    out.valid_target_types = list(parent.valid_target_types)
    out.valid_source_types = list(parent.valid_source_types)
    out.targets = list(parent.targets)
    out.members = list(parent.members)
    out.operations = list(parent.operations)


def _check_keys(td: TypeDef, raw: dict, issues: list[Issue]) -> None:
    allowed = ALLOWED_KEYS.get(td.kind)
    if allowed is None:
        return
    for key in raw:
        if key not in allowed:
            issues.append(
                td.origin.issue(
                    "unknown-field",
                    f"unknown field {key!r} in {td.kind[:-1].replace('_', ' ')} {td.name!r}",
                    (key,),
                    hint=did_you_mean(key, allowed),
                    warning=True,
                    at_key=True,
                )
            )

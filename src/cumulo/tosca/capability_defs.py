"""Capability and requirement definitions in node (and group) types."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cumulo.tosca.definitions import (
    UNBOUNDED,
    CapabilityDef,
    Origin,
    PropertyDef,
    RequirementDef,
    parse_occurrences,
)

if TYPE_CHECKING:
    from cumulo.tosca.definition_builder import DefinitionBuilder


def capability_def(ctx: DefinitionBuilder, name: str, spec: Any, parent: CapabilityDef | None):
    path = ("capabilities", name)
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, dict):
        ctx.err("bad-capability", f"capability {name!r} must be a type name or a map", path)
        return None
    type_name = spec.get("type")
    if type_name is None:
        if parent is None:
            ctx.err("missing-type", f"capability {name!r} has no 'type'", path)
            return None
        type_name = parent.type
    else:
        type_name = ctx.type_name("capability_types", type_name, (*path, "type"))
        if type_name is None:
            return None
        if parent is not None and not ctx.reg.is_subtype(
            "capability_types", type_name, parent.type
        ):
            ctx.breaks_parent(
                f"capability {name!r} changes type from {parent.type!r} to {type_name!r}, "
                "which does not derive from it",
                (*path, "type"),
            )
    captype = ctx.reg.get("capability_types", type_name)
    props = dict(captype.properties) if captype else {}
    attrs = dict(captype.attributes) if captype else {}
    if parent is not None and parent.type == type_name:
        props.update(parent.properties)
        attrs.update(parent.attributes)
    elif parent is not None:  # a refined capability type: its own definitions win
        for pname, pdef in parent.properties.items():
            props.setdefault(pname, pdef)
        for aname, adef in parent.attributes.items():
            attrs.setdefault(aname, adef)
    origin = Origin(ctx.origin.doc, (*ctx.origin.path, *path))
    refine = spec.get("properties")
    if isinstance(refine, dict):
        for pname, pspec in refine.items():
            if isinstance(pspec, dict) and (
                "type" in pspec or "default" in pspec or "required" in pspec
            ):
                schema = ctx.schema(pspec, (*path, "properties", pname), inherited=props.get(pname))
                if schema is not None:
                    props[pname] = PropertyDef(pname, schema, origin)
    if isinstance(spec.get("attributes"), dict):
        ctx.properties(attrs, spec["attributes"], "attributes", required=False)
    occurrences = (1, UNBOUNDED) if parent is None else parent.occurrences
    if "occurrences" in spec:
        parsed = parse_occurrences(spec["occurrences"])
        if parsed is None:
            ctx.err("bad-occurrences", "occurrences must be [min, max]", (*path, "occurrences"))
        else:
            occurrences = parsed
    sources = parent.valid_source_types if parent else []
    if "valid_source_types" in spec:
        sources = ctx.type_list(
            spec["valid_source_types"], (*path, "valid_source_types"), "node_types"
        )
    return CapabilityDef(name, type_name, props, attrs, occurrences, sources, origin)


def requirement_def(
    ctx: DefinitionBuilder, name: str, spec: Any, parent: RequirementDef | None, path: tuple
) -> RequirementDef | None:
    if isinstance(spec, str):  # short form: the capability type
        spec = {"capability": spec}
    if not isinstance(spec, dict):
        ctx.err("bad-requirement", f"requirement {name!r} must be a map", path)
        return None
    origin = Origin(ctx.origin.doc, (*ctx.origin.path, *path))
    capability = parent.capability if parent else None
    if "capability" in spec:
        capability = ctx.type_name("capability_types", spec["capability"], (*path, "capability"))
    node = parent.node if parent else None
    if "node" in spec:
        node = ctx.type_name("node_types", spec["node"], (*path, "node"))
    relationship = parent.relationship if parent else None
    rel = spec.get("relationship")
    if isinstance(rel, dict):
        rel = rel.get("type")
        rpath = (*path, "relationship", "type")
    else:
        rpath = (*path, "relationship")
    if rel is not None:
        relationship = ctx.type_name("relationship_types", rel, rpath)
    if capability is None and parent is None and "capability" not in spec:
        ctx.err("missing-capability", f"requirement {name!r} names no capability", path)
    occurrences = parent.occurrences if parent else (1, 1)
    if "occurrences" in spec:
        parsed = parse_occurrences(spec["occurrences"])
        if parsed is None:
            ctx.err("bad-occurrences", "occurrences must be [min, max]", (*path, "occurrences"))
        else:
            occurrences = parsed
    node_filter = spec.get("node_filter", parent.node_filter if parent else None)
    return RequirementDef(name, capability, node, relationship, occurrences, origin, node_filter)

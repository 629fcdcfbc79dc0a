"""Definitions inside a type: properties, attributes, requirements, capabilities,
interfaces and their operations, read from the raw YAML with their locations.

``DefinitionBuilder`` is used by ``resolve_type`` (a type's own definitions) and
by the places that read definitions outside types (topology inputs, capability
definitions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cumulo.tosca.constraints import parse_constraint
from cumulo.tosca.definitions import (
    CapabilityDef,
    InterfaceDef,
    OperationDef,
    Origin,
    PropertyDef,
    RequirementDef,
)
from cumulo.tosca.issues import Issue, did_you_mean
from cumulo.tosca.values import MISSING, PRIMITIVE_TYPES, Schema, check_value

if TYPE_CHECKING:
    from cumulo.tosca.type_registry import Registry

_COMMON_KEYS = {"derived_from", "version", "metadata", "description"}
INTERFACE_RESERVED = _COMMON_KEYS | {"inputs", "operations", "notifications", "type"}
SINGULAR = {"properties": "property", "attributes": "attribute"}
DEFAULT_INTERFACE_TYPES = {
    "Standard": "tosca.interfaces.node.lifecycle.Standard",
    "Configure": "tosca.interfaces.relationship.Configure",
}


class DefinitionBuilder:
    """Builds definitions for one type, recording issues at their place."""

    def __init__(self, reg: Registry, origin: Origin, issues: list[Issue]) -> None:
        self.reg = reg
        self.origin = origin
        self.issues = issues

    def err(self, code: str, msg: str, sub: tuple, **kw: Any) -> None:
        self.issues.append(self.origin.issue(code, msg, sub, **kw))

    def breaks_parent(self, msg: str, sub: tuple) -> None:
        # TOSCA 1.3 made refinements strict; before it a redefinition replaced the
        # parent's (INDIGO's 1.0 types rely on that), so there it is only a warning.
        strict = self.origin.doc.version >= "1.3"
        self.err("refinement-breaks-parent", msg, sub, warning=not strict)

    # -- properties, attributes, schemas ----------------------------------
    def properties(self, target: dict, raw: Any, section: str, *, required: bool) -> None:
        if raw is None:
            return
        if not isinstance(raw, dict):
            self.err("bad-section", f"'{section}' must be a map", (section,))
            return
        for name, spec in raw.items():
            path = (section, name)
            parent = target.get(name)
            schema = self.schema(spec, path, required=required, inherited=parent)
            if schema is None:
                continue
            if parent is not None and not self.refines(parent.schema.type, schema.type):
                self.breaks_parent(
                    f"{SINGULAR[section]} {name!r} changes type from {parent.schema.type!r} "
                    f"to {schema.type!r}, which does not derive from it",
                    (*path, "type"),
                )
            desc = spec.get("description") if isinstance(spec, dict) else None
            target[name] = PropertyDef(
                name, schema, Origin(self.origin.doc, (*self.origin.path, *path)), desc
            )

    def refines(self, old: str, new: str) -> bool:
        if old == new or old == "any":
            return True
        if new in PRIMITIVE_TYPES or old in PRIMITIVE_TYPES:
            return self.reg.primitive_of(new) == old or (old == "float" and new == "integer")
        return self.reg.is_subtype("data_types", new, old)

    def schema(
        self,
        spec: Any,
        path: tuple,
        *,
        required: bool = True,
        inherited: PropertyDef | None = None,
    ) -> Schema | None:
        if isinstance(spec, str):  # entry_schema: string
            spec = {"type": spec}
        if not isinstance(spec, dict):
            self.err("bad-definition", "a definition must be a map with 'type'", path)
            return None
        type_name = spec.get("type")
        if type_name is None and inherited is not None:
            type_name = inherited.schema.type
        if type_name is None:
            self.err("missing-type", "definition has no 'type'", path)
            return None
        type_name = self.data_type_name(type_name, (*path, "type"))
        req = spec.get("required", inherited.schema.required if inherited else required)
        if not isinstance(req, bool):
            self.err("bad-value", f"'required' must be a boolean, got {req!r}", (*path, "required"))
            req = required
        primitive = self.reg.primitive_of(type_name)
        schema = Schema(
            type=type_name,
            required=req,
            constraints=self.constraints(
                spec.get("constraints"), (*path, "constraints"), primitive
            ),
        )
        if inherited is not None and "constraints" not in spec:
            schema.constraints = list(inherited.schema.constraints)
        for key in ("entry_schema", "key_schema"):
            sub = spec.get(key)
            if sub is None and inherited is not None:
                setattr(schema, key, getattr(inherited.schema, key))
            elif sub is not None:
                setattr(schema, key, self.schema(sub, (*path, key)))
        default = spec.get("default", MISSING)
        if default is None:
            default = MISSING  # "default:" left empty means no default
        if default is MISSING and inherited is not None:
            default = inherited.schema.default
        schema.default = default
        if default is not MISSING and "default" in spec:
            self.check_default(default, schema, (*path, "default"))
        return schema

    def check_default(self, value: Any, schema: Schema, path: tuple) -> None:
        from cumulo.tosca.primitives import contains_function

        if contains_function(value):
            return
        _, problems = check_value(value, schema, self.reg)
        for p in problems:
            self.err(p.code, f"default value: {p.message}", (*path, *p.path), warning=p.is_warning)

    def data_type_name(self, name: Any, path: tuple) -> str:
        if not isinstance(name, str):
            self.err("bad-type", f"a type name must be a string, got {name!r}", path)
            return "any"
        if name in PRIMITIVE_TYPES:
            return name
        found = self.reg.canonical("data_types", name)
        if found is None:
            self.err(
                "unknown-type",
                f"unknown data type {name!r}",
                path,
                hint=did_you_mean(name, [*PRIMITIVE_TYPES, *self.reg.names("data_types")]),
            )
            return "any"
        return found

    def constraints(self, raw: Any, path: tuple, primitive: str) -> list:
        if raw is None:
            return []
        if isinstance(raw, dict) and raw:  # INDIGO's `constraints: {in_range: [...]}`
            self.err(
                "constraints-as-map",
                "'constraints' should be a list of clauses; read each key as one clause",
                path,
                warning=True,
            )
            raw = [{key: value} for key, value in raw.items()]
        if not isinstance(raw, list):
            self.err("bad-constraint", "'constraints' must be a list", path)
            return []
        out = []
        for i, clause in enumerate(raw):
            try:
                c = parse_constraint(clause, primitive)
            except ValueError as exc:
                self.err("bad-constraint", str(exc), (*path, i))
                continue
            if getattr(c, "warning", None):
                self.err("constraint-coerced", c.warning, (*path, i), warning=True)
            out.append(c)
        return out

    def type_name(self, kind: str, name: Any, path: tuple) -> str | None:
        found = self.reg.canonical(kind, name)
        if found is None:
            self.err(
                "unknown-type",
                f"unknown {kind[:-6].replace('_', ' ')} type {name!r}",
                path,
                hint=did_you_mean(name, self.reg.names(kind)),
            )
        return found

    def type_list(self, raw: Any, path: tuple, kind: str | None) -> list[str]:
        if not isinstance(raw, list):
            self.err("bad-value", f"'{path[-1]}' must be a list of type names", path)
            return []
        if kind is None:
            return [str(x) for x in raw]
        out = []
        for i, name in enumerate(raw):
            found = self.reg.canonical(kind, name)
            if found is None and kind == "capability_types":  # 1.3 also allows node types
                found = self.reg.canonical("node_types", name)
            if found is not None:
                out.append(found)
            elif isinstance(name, str):
                # production type files name types defined nowhere (tosca-parser and
                # INDIGO's orchestrator ignore them): a name that matches nothing
                self.err(
                    "unknown-type",
                    f"unknown {kind[:-6].replace('_', ' ')} type {name!r} (ignored)",
                    (*path, i),
                    hint=did_you_mean(name, self.reg.names(kind)),
                    warning=True,
                )
            else:
                self.type_name(kind, name, (*path, i))
        return out

    # -- capabilities ----------------------------------------------------
    def capabilities(self, target: dict[str, CapabilityDef], raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, dict):
            self.err("bad-section", "'capabilities' must be a map", ("capabilities",))
            return
        from cumulo.tosca.capability_defs import capability_def

        for name, spec in raw.items():
            cap = capability_def(self, name, spec, target.get(name))
            if cap is not None:
                target[name] = cap

    # -- requirements ----------------------------------------------------
    def requirements(self, inherited: list[RequirementDef], raw: Any) -> list[RequirementDef]:
        if raw is None:
            return inherited
        if not isinstance(raw, list):
            self.err("bad-section", "'requirements' must be a list", ("requirements",))
            return inherited
        from cumulo.tosca.capability_defs import requirement_def

        out = list(inherited)
        for i, item in enumerate(raw):
            if not isinstance(item, dict) or len(item) != 1:
                self.err(
                    "bad-requirement", "a requirement is a map of one name", ("requirements", i)
                )
                continue
            name, spec = next(iter(item.items()))
            index = next((j for j, r in enumerate(out) if r.name == name), None)
            parent = out[index] if index is not None else None
            req = requirement_def(self, name, spec, parent, ("requirements", i, name))
            if req is None:
                continue
            if index is None:
                out.append(req)
            else:
                out[index] = req
        return out

    # -- interfaces ------------------------------------------------------
    def interfaces(self, target: dict[str, InterfaceDef], raw: Any, owner_kind: str) -> None:
        if raw is None:
            return
        if not isinstance(raw, dict):
            self.err("bad-section", "'interfaces' must be a map", ("interfaces",))
            return
        for name, spec in raw.items():
            path = ("interfaces", name)
            if not isinstance(spec, dict):
                spec = {}
            parent = target.get(name)
            itype = spec.get("type")
            if itype is not None:
                itype = self.type_name("interface_types", itype, (*path, "type"))
            elif parent is not None:
                itype = parent.type
            else:
                itype = self.reg.canonical("interface_types", DEFAULT_INTERFACE_TYPES.get(name))
            ops = dict(parent.operations) if parent else {}
            ops.update(operations_of(spec, Origin(self.origin.doc, (*self.origin.path, *path))))
            inputs = {**(parent.inputs if parent else {}), **(spec.get("inputs") or {})}
            target[name] = InterfaceDef(name, itype, ops, inputs)


def operations_of(spec: dict, origin: Origin) -> dict[str, OperationDef]:
    """The operations written in an interface definition or assignment."""
    out: dict[str, OperationDef] = {}
    items = list(spec.items())
    if isinstance(spec.get("operations"), dict):
        items += [(k, v) for k, v in spec["operations"].items()]
    for op, body in items:
        if op in INTERFACE_RESERVED:
            continue
        op_origin = Origin(origin.doc, (*origin.path, op))
        if isinstance(body, dict):
            inputs = body.get("inputs") if isinstance(body.get("inputs"), dict) else {}
            out[op] = OperationDef(op, body.get("implementation"), dict(inputs), op_origin)
        else:
            out[op] = OperationDef(op, body, {}, op_origin)
    return out

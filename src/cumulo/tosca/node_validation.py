"""Validating node templates: type, properties, attributes, capabilities,
interfaces and artifacts. Requirements are in ``requirement_validation``.
"""

from __future__ import annotations

from typing import Any

from cumulo.tosca.assignments import check_assignments
from cumulo.tosca.definition_builder import operations_of
from cumulo.tosca.definitions import InterfaceDef, OperationDef, Origin
from cumulo.tosca.documents import Document
from cumulo.tosca.issues import IssueLog, did_you_mean
from cumulo.tosca.model import NodeModel
from cumulo.tosca.type_registry import Registry

NODE_KEYS = frozenset(
    {
        "type",
        "description",
        "metadata",
        "directives",
        "properties",
        "attributes",
        "requirements",
        "capabilities",
        "interfaces",
        "artifacts",
        "node_filter",
        "copy",
    }
)
# normative types the 1.2 profile replaced (still accepted, with a warning)
DEPRECATED_TYPES = {
    "tosca.nodes.BlockStorage": "tosca.nodes.Storage.BlockStorage",
    "tosca.nodes.ObjectStorage": "tosca.nodes.Storage.ObjectStorage",
}
OPERATION_KEYS = frozenset({"implementation", "inputs", "description", "outputs", "metadata"})


class Checker:
    """State shared by the validation passes of one template."""

    def __init__(self, doc: Document, registry: Registry, log: IssueLog) -> None:
        self.doc = doc
        self.reg = registry
        self.log = log
        self._type_issues_seen: set[str] = set()
        self.declared_nodes: list[str] = []  # every node template name, valid or not
        self.nodes: dict = {}  # the valid ones, once built (name -> NodeModel)

    def err(self, code: str, message: str, path: tuple, **kw: Any) -> None:
        self.log.add(self.doc.issue(code, message, path, **kw))

    def use_type(self, kind: str, name: Any, path: tuple, what: str):
        """The resolved type named at ``path``; reports unknown names and broken types."""
        if not isinstance(name, str):
            self.err("missing-type" if name is None else "bad-type", f"{what} needs a 'type'", path)
            return None
        resolved = self.reg.get(kind, name)
        if resolved is None:
            self.err(
                "unknown-type",
                f"unknown {what} type {name!r}",
                (*path, "type"),
                hint=did_you_mean(name, self.reg.names(kind)),
            )
            return None
        replacement = DEPRECATED_TYPES.get(resolved.name)
        if replacement and self.doc.version >= "1.2":
            self.err(
                "deprecated",
                f"{resolved.name} is deprecated since TOSCA 1.2",
                (*path, "type"),
                hint=f"use {replacement}",
                warning=True,
            )
        if resolved.name not in self._type_issues_seen:
            self._type_issues_seen.add(resolved.name)
            self.log.extend(resolved.issues)
        return resolved


def check_node(ck: Checker, name: str, raw: Any) -> NodeModel | None:
    path = ("topology_template", "node_templates", name)
    if not isinstance(raw, dict):
        ck.err("bad-node", f"node template {name!r} must be a map", path)
        return None
    for key in raw:
        if key not in NODE_KEYS:
            ck.err(
                "unknown-field",
                f"node template {name!r} has unknown field {key!r}",
                (*path, key),
                hint=did_you_mean(key, NODE_KEYS),
                at_key=True,
            )
    ntype = ck.use_type("node_types", raw.get("type"), path, "node")
    if ntype is None:
        return None
    owner = f"node template {name!r} ({ntype.name}) "
    node = NodeModel(name, ntype, path)
    node.properties = check_assignments(
        ck.doc,
        ck.reg,
        ck.log,
        ntype.properties,
        raw.get("properties"),
        (*path, "properties"),
        owner=owner,
    )
    node.attributes = check_assignments(
        ck.doc,
        ck.reg,
        ck.log,
        ntype.attributes,
        raw.get("attributes"),
        (*path, "attributes"),
        what="attribute",
        owner=owner,
        check_missing=False,
    )
    node.attributes = {
        k: v for k, v in node.attributes.items() if k in (raw.get("attributes") or {})
    }
    _capabilities(ck, node, raw.get("capabilities"), owner)
    node.interfaces = check_interfaces(
        ck, ntype.interfaces, raw.get("interfaces"), (*path, "interfaces"), owner
    )
    node.artifacts = _artifacts(ck, ntype.artifacts, raw.get("artifacts"), (*path, "artifacts"))
    return node


def _capabilities(ck: Checker, node: NodeModel, raw: Any, owner: str) -> None:
    defs = node.type.capabilities
    assigned = raw if isinstance(raw, dict) else {}
    if raw is not None and not isinstance(raw, dict):
        ck.err("bad-section", "'capabilities' must be a map", (*node.path, "capabilities"))
    for cname, cdef in defs.items():
        cpath = (*node.path, "capabilities", cname)
        craw = assigned.get(cname)
        if craw is not None and not isinstance(craw, dict):
            ck.err("bad-capability", f"capability {cname!r} must be a map", cpath)
            craw = None
        craw = craw or {}
        for key in craw:
            if key not in ("properties", "attributes"):
                ck.err(
                    "unknown-field",
                    f"capability {cname!r} has unknown field {key!r}",
                    (*cpath, key),
                    at_key=True,
                )
        node.capabilities[cname] = check_assignments(
            ck.doc,
            ck.reg,
            ck.log,
            cdef.properties,
            craw.get("properties"),
            (*cpath, "properties"),
            owner=f"capability {cname!r} of {owner}",
            check_missing=cname in assigned,
        )
    for cname in assigned:
        if cname not in defs:
            ck.err(
                "unknown-capability",
                f"{owner}has no capability {cname!r}",
                (*node.path, "capabilities", cname),
                hint=did_you_mean(cname, defs),
                at_key=True,
            )


def check_interfaces(
    ck: Checker,
    defs: dict[str, InterfaceDef],
    raw: Any,
    path: tuple,
    owner: str,
    *,
    lenient: bool = False,
) -> dict[str, InterfaceDef]:
    """The type's interfaces with the template's operations merged in.

    ``lenient``: an interface the type lacks is only a warning (relationships in
    INDIGO templates carry ``Standard`` operations that never run).
    """
    merged = dict(defs)
    if raw is None:
        return merged
    if not isinstance(raw, dict):
        ck.err("bad-section", "'interfaces' must be a map", path)
        return merged
    for iname, body in raw.items():
        ipath = (*path, iname)
        idef = defs.get(iname)
        if idef is None:
            ck.err(
                "unknown-interface",
                f"{owner}has no interface {iname!r}"
                + ("; its operations never run" if lenient else ""),
                ipath,
                hint=did_you_mean(iname, defs),
                at_key=True,
                warning=lenient,
            )
            continue
        if not isinstance(body, dict):
            ck.err("bad-interface", f"interface {iname!r} must be a map of operations", ipath)
            continue
        itype = ck.reg.get("interface_types", idef.type) if idef.type else None
        known = set(itype.operations) | set(idef.operations) if itype else set(idef.operations)
        ops = dict(idef.operations)
        for op_name, op in operations_of(body, Origin(ck.doc, ipath)).items():
            if itype is not None and op_name not in known:
                ck.err(
                    "unknown-operation",
                    f"interface {iname!r} has no operation {op_name!r}",
                    (*ipath, op_name),
                    hint=did_you_mean(op_name, known),
                    at_key=True,
                )
                continue
            body_raw = body.get(op_name)
            if isinstance(body_raw, dict):
                for key in body_raw:
                    if key not in OPERATION_KEYS:
                        ck.err(
                            "unknown-field",
                            f"operation {op_name!r} has unknown field {key!r}",
                            (*ipath, op_name, key),
                            hint=did_you_mean(key, OPERATION_KEYS),
                            at_key=True,
                        )
            base = ops.get(op_name)
            inputs = {**(base.inputs if base else {}), **op.inputs}
            impl = (
                op.implementation
                if op.implementation is not None
                else (base.implementation if base else None)
            )
            ops[op_name] = OperationDef(op_name, impl, inputs, op.origin)
        inputs = {**idef.inputs, **(body.get("inputs") or {})}
        merged[iname] = InterfaceDef(iname, idef.type, ops, inputs)
    return merged


def _artifacts(ck: Checker, inherited: dict, raw: Any, path: tuple) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    items = list(inherited.items())
    if raw is not None and not isinstance(raw, dict):
        ck.err("bad-section", "'artifacts' must be a map", path)
    elif raw:
        items += [(k, v, True) for k, v in raw.items()]  # type: ignore[misc]
    for item in items:
        name, spec = item[0], item[1]
        mine = len(item) == 3
        if isinstance(spec, str):
            out[name] = {"file": spec}
        elif isinstance(spec, dict):
            out[name] = dict(spec)
            if mine:
                if "file" not in spec:
                    ck.err("missing-field", f"artifact {name!r} needs 'file'", (*path, name))
                if "type" in spec:
                    ck.use_type("artifact_types", spec["type"], (*path, name), "artifact")
        elif mine:
            ck.err("bad-artifact", f"artifact {name!r} must be a file name or a map", (*path, name))
    return out

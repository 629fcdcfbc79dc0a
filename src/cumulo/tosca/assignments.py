"""Checking property (and attribute) assignments against their definitions.

Shared by node templates, capabilities, relationships, policies and groups:
unknown names (with a hint), values against their schema, required ones
missing, defaults applied. Function calls are not checked here (their value
is known only at plan time); ``functions.check_call`` looks at their shape.
"""

from __future__ import annotations

from typing import Any

from cumulo.tosca.definitions import PropertyDef
from cumulo.tosca.documents import Document
from cumulo.tosca.issues import IssueLog, did_you_mean
from cumulo.tosca.primitives import contains_function
from cumulo.tosca.type_registry import Registry
from cumulo.tosca.values import MISSING, check_value


def check_assignments(
    doc: Document,
    registry: Registry,
    log: IssueLog,
    defs: dict[str, PropertyDef],
    raw: Any,
    path: tuple,
    *,
    what: str = "property",
    owner: str = "",
    check_missing: bool = True,
    allow_unknown: bool = False,
) -> dict[str, Any]:
    """The assigned values with defaults filled in; issues go to ``log``."""
    values: dict[str, Any] = {}
    if raw is not None and not isinstance(raw, dict):
        log.add(doc.issue("bad-section", f"'{path[-1]}' must be a map", path))
        raw = None
    assigned = raw or {}
    for name, value in assigned.items():
        pdef = defs.get(name)
        vpath = (*path, name)
        if pdef is None:
            if not allow_unknown:
                log.add(
                    doc.issue(
                        f"unknown-{what}",
                        f"{owner}has no {what} {name!r}",
                        vpath,
                        hint=did_you_mean(name, defs),
                        at_key=True,
                    )
                )
            values[name] = value
            continue
        values[name] = check_one(doc, registry, log, pdef, value, vpath)
    for name, pdef in defs.items():
        if name in assigned:
            continue
        if pdef.schema.default is not MISSING:
            values[name] = pdef.schema.default
        elif check_missing and pdef.schema.required and what == "property":
            log.add(
                doc.issue(
                    "missing-property",
                    f"{owner}requires property {name!r}, which is not set and has no default",
                    path if raw is not None else path[:-1],
                    at_key=True,
                )
            )
    return values


def check_one(
    doc: Document, registry: Registry, log: IssueLog, pdef: PropertyDef, value: Any, vpath: tuple
) -> Any:
    if contains_function(value):
        return value
    if value is None and not pdef.schema.required:
        return value
    checked, problems = check_value(value, pdef.schema, registry)
    for p in problems:
        log.add(
            doc.issue(
                p.code,
                f"{pdef.name}: {p.message}" if not p.path else p.message,
                (*vpath, *p.path),
                warning=p.is_warning,
            )
        )
    return checked

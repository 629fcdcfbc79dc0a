"""Inputs: their definitions in the template, and the parameters a user gives.

Parameters come from web forms and command lines, so they are checked
leniently (``values.check_value(lenient=True)``): "2" for an integer,
"4 GB" for a size, "true" for a boolean. Unknown parameters are reported by
name, with a hint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.tosca.constraints import PATTERN_MISMATCH
from cumulo.tosca.definition_builder import DefinitionBuilder
from cumulo.tosca.definitions import Origin, PropertyDef
from cumulo.tosca.issues import Issue, IssueLog, Severity, did_you_mean
from cumulo.tosca.node_validation import Checker
from cumulo.tosca.primitives import describe
from cumulo.tosca.text import bad_text_in, not_text_message
from cumulo.tosca.values import MISSING, check_value

INPUT_KEYS = frozenset(
    {
        "type",
        "description",
        "required",
        "default",
        "constraints",
        "entry_schema",
        "key_schema",
        "status",
        "metadata",
        "value",
        "title",
    }
)


def input_definitions(ck: Checker, raw: Any) -> dict[str, PropertyDef]:
    path = ("topology_template", "inputs")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        ck.err("bad-section", "'inputs' must be a map", path)
        return {}
    issues: list[Issue] = []
    ctx = DefinitionBuilder(ck.reg, Origin(ck.doc, ("topology_template",)), issues)
    defs: dict[str, PropertyDef] = {}
    ctx.properties(defs, raw, "inputs", required=True)
    for name, spec in raw.items():
        if isinstance(spec, dict):
            for key in spec:
                if key not in INPUT_KEYS:
                    issues.append(
                        ck.doc.issue(
                            "unknown-field",
                            f"input {name!r} has unknown field {key!r}",
                            (*path, name, key),
                            hint=did_you_mean(key, INPUT_KEYS),
                            at_key=True,
                        )
                    )
    ck.log.extend(issues)
    return defs


def resolve_inputs(
    ck: Checker,
    defs: dict[str, PropertyDef],
    params: Mapping[str, Any] | None,
    log: IssueLog,
    *,
    strict: bool,
) -> dict[str, Any]:
    """Input values after coercion and defaults; problems named by input."""
    values: dict[str, Any] = {}
    params = params or {}
    for name in params:
        if name not in defs:
            log.add(
                Issue(
                    Severity.ERROR,
                    "unknown-input",
                    f"unknown input parameter {name!r}",
                    None,
                    f"inputs.{name}",
                    did_you_mean(name, defs),
                )
            )
    for name, pdef in defs.items():
        schema = pdef.schema
        given = params.get(name)
        if given == "" and ck.reg.primitive_of(schema.type) != "string":
            given = None  # an empty form field for a number, a size, a list...: not given
        bad = bad_text_in(given)
        if bad is not None:
            where = ".".join(str(x) for x in (name, *bad[0]))
            log.add(
                Issue(
                    Severity.ERROR,
                    "bad-character",
                    f"input {where}: {not_text_message(bad[1])}",
                    None,
                    f"inputs.{where}",
                )
            )
            given = None
        if given is not None:
            value, problems = check_value(given, schema, ck.reg, lenient=True)
            readable = _pattern_message(ck, name)
            for p in problems:
                where = ".".join(str(x) for x in (name, *p.path))
                message = p.message
                shown = name + "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in p.path)
                if readable and p.code == "constraint-violated" and PATTERN_MISMATCH in message:
                    message = readable.replace("{value}", describe(_item(value, p.path)))
                log.add(
                    Issue(
                        Severity.WARNING if p.is_warning else Severity.ERROR,
                        p.code,
                        f"input {shown}: {message}",
                        None,
                        f"inputs.{where}",
                    )
                )
            values[name] = value
        elif schema.default is not MISSING:
            values[name] = schema.default
        elif schema.required and strict:
            values[name] = None  # reported once here, not again at each get_input
            log.add(
                Issue(
                    Severity.ERROR,
                    "missing-input",
                    f"input {name!r} is required and has no default",
                    ck.doc.location(("topology_template", "inputs", name), at_key=True),
                    f"topology_template.inputs.{name}",
                )
            )
        else:
            values[name] = None
    return values


def _pattern_message(ck: Checker, name: str) -> str | None:
    """The input's ``metadata.pattern_message``: what its pattern means, for people.

    A regular expression is no message for a user; ``{value}`` stands for the
    refused value (e.g. "{value} is not a port mapping like 8080:80").
    """
    meta = ck.doc.node_at(("topology_template", "inputs", name, "metadata"))
    text = meta.get("pattern_message") if isinstance(meta, Mapping) else None
    return text.strip() if isinstance(text, str) and text.strip() else None


def _item(value: Any, path: tuple) -> Any:
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return value
    return value

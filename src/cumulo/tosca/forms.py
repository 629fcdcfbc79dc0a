"""The form schema of a template: a JSON description of each input for a user interface.

``form_schema(template, overlay)`` reads the template's input definitions and
an optional catalogue-metadata overlay (tabs and per-input overrides, as the
INDIGO dashboard's parameters files write them) and says, per input, which
widget to show, its label, default, choices, bounds, unit, entry schema, tab
and whether it may be updated. It never raises for a malformed definition: it
does what it can and lists what it skipped under ``warnings`` (the template
validation reports the errors themselves).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol

from cumulo.tosca import units
from cumulo.tosca.form_constraints import (
    bounds_of,
    choices_of,
    jsonable,
    overlay_choices,
    parse_constraints,
)
from cumulo.tosca.input_roles import Role, roles_of
from cumulo.tosca.values import MISSING, PRIMITIVE_TYPES, DataTypeInfo, Schema

WIDGETS: Final = frozenset(
    {
        "text",
        "textarea",
        "integer",
        "float",
        "boolean",
        "select",
        "size",
        "password",
        "random_password",
        "email",
        "hostname",
        "list",
        "map",
        "list_of_maps",
        "key_value",
        "ports",
        "ssh_key",
        "hidden",
    }
)
# Widget names other catalogues use for ours.
_WIDGET_ALIASES: Final = {
    "string": "text",
    "int": "integer",
    "number": "float",
    "bool": "boolean",
    "checkbox": "boolean",
    "dropdown": "select",
    "scalar-unit.size": "size",
    "ssh_public_key": "ssh_key",
    "ssh-key": "ssh_key",
    "random-password": "random_password",
    "env": "key_value",
    "environment": "key_value",
    "list_of_map": "list_of_maps",
}
_NAME_WIDGETS: Final = (  # input name fragment -> widget, for plain strings
    ("email", "email"),
    ("hostname", "hostname"),
    ("dns_name", "hostname"),
)
PORT_SPEC: Final = "tosca.datatypes.network.PortSpec"
DEFAULT_TAB: Final = "Configuration"


class FormTemplate(Protocol):
    """What form_schema reads of a loaded template (``cumulo.tosca.template.Template``)."""

    @property
    def inputs(self) -> Mapping[str, Any]: ...


def form_schema(
    template: FormTemplate, overlay: Mapping[str, Any] | None = None, *, group: str | None = None
) -> dict[str, Any]:
    """The form of ``template``: ``{"template", "tabs", "inputs", "warnings"}``.

    ``overlay`` is catalogue metadata: ``tabs``, ``inputs: {name: overrides}``
    (``type`` widget, ``display_name``, ``description``, ``placeholder``,
    ``default``, ``constraints`` as ``{value, label}`` choices, ``tab``,
    ``required``, ``updatable``, ``group_overrides: {group: overrides}``);
    ``group`` selects the group overrides that apply.
    """
    overlay = overlay if isinstance(overlay, Mapping) else {}
    per_input = overlay.get("inputs") if isinstance(overlay.get("inputs"), Mapping) else {}
    lookup = getattr(template, "registry", None)
    warnings: list[str] = []
    raw_tabs = overlay.get("tabs")
    if raw_tabs is not None and not isinstance(raw_tabs, list):
        warnings.append("overlay tabs must be a list of names; ignored")
        raw_tabs = None
    tabs = [str(t) for t in raw_tabs or [] if isinstance(t, str | int)]
    default_tab = tabs[0] if tabs else DEFAULT_TAB
    fields = []
    for name, raw in (template.inputs or {}).items():
        if not isinstance(raw, Mapping):
            warnings.append(f'input "{name}": its definition is not a map; left out')
            continue
        extra = _overrides(per_input.get(name), group, name, warnings)
        field = _field(str(name), raw, extra, lookup, warnings)
        field["tab"] = str(extra.get("tab") or default_tab)
        if field["tab"] not in tabs:
            tabs.append(field["tab"])
        fields.append(field)
    for name in per_input:
        if name not in (template.inputs or {}):
            warnings.append(f'overlay input "{name}" is not an input of the template')
    return {
        "template": _about(template, overlay),
        "tabs": tabs,
        "inputs": fields,
        "warnings": warnings,
    }


def _about(template: FormTemplate, overlay: Mapping[str, Any]) -> dict[str, Any]:
    metadata = getattr(template, "metadata", None)
    metadata = metadata if isinstance(metadata, Mapping) else {}
    description = overlay.get("description") or getattr(template, "description", None)
    return {
        "display_name": overlay.get("display_name") or metadata.get("display_name"),
        "description": description.strip() if isinstance(description, str) else None,
        "icon": overlay.get("icon") or metadata.get("icon"),
    }


def _overrides(raw: Any, group: str | None, name: Any, warnings: list[str]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        warnings.append(f'overlay for input "{name}" is not a map; ignored')
        return {}
    merged = {k: v for k, v in raw.items() if k != "group_overrides"}
    by_group = raw.get("group_overrides")
    if (
        group is not None
        and isinstance(by_group, Mapping)
        and isinstance(by_group.get(group), Mapping)
    ):
        merged.update(by_group[group])
    return merged


def _field(
    name: str, raw: Mapping[str, Any], extra: Mapping[str, Any], lookup: Any, warnings: list[str]
) -> dict[str, Any]:
    type_name = str(raw.get("type") or "string")
    primitive = _primitive(type_name, lookup)
    constraints = parse_constraints(raw.get("constraints"), primitive, name, warnings)
    info = _data_type(type_name, lookup) if type_name not in PRIMITIVE_TYPES else None
    if info is not None:  # e.g. PortDef: an integer in [1, 65535]
        constraints = [*info.constraints, *constraints]
    default = raw.get("default", MISSING)
    field: dict[str, Any] = {
        "name": name,
        "type": type_name,
        "label": str(extra.get("display_name") or _humanise(name)),
        "description": _text(extra.get("description", raw.get("description"))),
        "required": bool(extra.get("required", raw.get("required", True))),
        "updatable": bool(extra.get("updatable", False)),
        "roles": sorted(roles_of(name, raw)),  # the domain's: a secret, an SSH key
    }
    if "default" in extra:
        default = extra["default"]
    if default is not MISSING and default is not None:
        field["default"] = jsonable(default)
    if extra.get("placeholder") is not None:
        field["placeholder"] = str(extra["placeholder"])
    choices = choices_of(constraints)
    from_overlay = overlay_choices(extra.get("constraints"), name, warnings)
    if from_overlay is not None:
        choices = from_overlay
    if choices is not None:
        field["choices"] = choices
    field.update(bounds_of(constraints, primitive, raw.get("default")))
    readable = extra.get("pattern_message") or _metadata(raw).get("pattern_message")
    if isinstance(readable, str) and readable.strip():
        field["pattern_message"] = readable.strip()  # "{value} is not a ...", not a regex
    entry = _entry_schema(raw, primitive, lookup)
    if entry is not None:
        field["entry_schema"] = entry
    field["widget"] = _widget_from_overlay(extra.get("type"), name, warnings) or (
        _role_widget(field["roles"], primitive, choices is not None)
        or _widget(name, type_name, primitive, choices is not None, entry, lookup)
    )
    return field


def _metadata(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = raw.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _widget_from_overlay(raw: Any, name: str, warnings: list[str]) -> str | None:
    if raw is None:
        return None
    widget = _WIDGET_ALIASES.get(str(raw), str(raw))
    if widget not in WIDGETS:
        warnings.append(f'input "{name}": unknown widget "{raw}" in the overlay; chosen by type')
        return None
    return widget


def _role_widget(roles: list[str], primitive: str, has_choices: bool) -> str | None:
    """A secret is typed unseen, a key input takes the user's keys (for text inputs)."""
    if has_choices or primitive != "string":
        return None
    if Role.SSH_KEY in roles:
        return "ssh_key"
    return "password" if Role.SECRET in roles else None


def _widget(
    name: str, type_name: str, primitive: str, has_choices: bool, entry: Any, lookup: Any
) -> str:
    if has_choices:
        return "select"
    if primitive in ("boolean", "integer", "float"):
        return primitive
    if primitive == units.SIZE:
        return "size"
    if primitive in ("list", "map"):
        entry_type = entry.get("type") if entry else None
        if entry_type and _is_port_spec(entry_type, lookup):
            return "ports"
        if primitive == "list":
            return (
                "list_of_maps" if entry and entry.get("widget") in ("map", "key_value") else "list"
            )
        return "key_value" if entry is None or entry.get("widget") == "text" else "map"
    if primitive == "":  # a complex data type
        return "ports" if _is_port_spec(type_name, lookup) else "map"
    if primitive == "string":
        lowered = name.lower()
        for fragment, widget in _NAME_WIDGETS:
            if fragment in lowered:
                return widget
        if lowered.endswith(("_content", "_script", "_yaml")):
            return "textarea"
    return "text"


def _is_port_spec(type_name: str, lookup: Any) -> bool:
    is_subtype = getattr(lookup, "is_subtype", None)
    if callable(is_subtype):
        try:
            return bool(is_subtype("data_types", type_name, PORT_SPEC))
        except Exception:  # a lookup that cannot answer: fall back to the name
            pass
    return type_name.endswith("PortSpec")


def _primitive(type_name: str, lookup: Any) -> str:
    """The primitive of a type ("" for a complex data type, "string" when unknown)."""
    if type_name in PRIMITIVE_TYPES:
        return type_name
    info = _data_type(type_name, lookup)
    if info is None:
        return "string"
    return info.primitive or ""


def _data_type(type_name: str, lookup: Any) -> DataTypeInfo | None:
    finder = getattr(lookup, "data_type", None)
    if not callable(finder):
        return None
    try:
        return finder(type_name)
    except Exception:  # a malformed type is the validator's business, not the form's
        return None


def _entry_schema(raw: Mapping[str, Any], primitive: str, lookup: Any) -> dict[str, Any] | None:
    if primitive not in ("list", "map"):
        return None
    spec = raw.get("entry_schema")
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, Mapping):
        return None
    return _describe_entry(str(spec.get("type") or "string"), spec, lookup, depth=0)


def _describe_entry(type_name: str, spec: Mapping[str, Any], lookup: Any, depth: int) -> dict:
    primitive = _primitive(type_name, lookup)
    out: dict[str, Any] = {"type": type_name}
    constraints = parse_constraints(spec.get("constraints"), primitive, type_name, [])
    if primitive == "":
        out["widget"] = "ports" if _is_port_spec(type_name, lookup) else "map"
        info = _data_type(type_name, lookup)
        if info is not None and depth < 4:
            out["fields"] = [
                _describe_property(name, schema, lookup, depth)
                for name, schema in info.properties.items()
            ]
    elif primitive in ("list", "map"):
        nested = spec.get("entry_schema")
        nested = {"type": nested} if isinstance(nested, str) else nested
        out["widget"] = "key_value" if primitive == "map" else "list"
        if isinstance(nested, Mapping) and depth < 4:
            out["entry_schema"] = _describe_entry(
                str(nested.get("type") or "string"), nested, lookup, depth + 1
            )
            if primitive == "map" and out["entry_schema"]["widget"] != "text":
                out["widget"] = "map"
    else:
        out["widget"] = _widget("", type_name, primitive, False, None, lookup)
    choices = choices_of(constraints)
    if choices is not None:
        out["choices"] = choices
    out.update(bounds_of(constraints, primitive, spec.get("default")))
    return out


def _describe_property(name: str, schema: Schema, lookup: Any, depth: int) -> dict[str, Any]:
    primitive = _primitive(schema.type, lookup)
    out: dict[str, Any] = {
        "name": name,
        "type": schema.type,
        "label": _humanise(name),
        "required": schema.required,
    }
    if schema.default is not MISSING and schema.default is not None:
        out["default"] = jsonable(schema.default)
    constraints = list(schema.constraints)
    info = _data_type(schema.type, lookup)
    if info is not None:
        constraints = [*info.constraints, *constraints]
    choices = choices_of(constraints)
    if choices is not None:
        out["choices"] = choices
    out["widget"] = (
        "select"
        if choices
        else _role_widget(sorted(roles_of(name)), primitive, False)
        or _widget(name, schema.type, primitive, False, None, lookup)
    )
    out.update(bounds_of(constraints, primitive, schema.default))
    return out


def _humanise(name: str) -> str:
    words = name.replace("_", " ").replace("-", " ").split()
    text = " ".join(words) or name
    return text[:1].upper() + text[1:]


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None

"""From a submitted wizard form to deployment parameters, with a message per field.

Field names in the HTML form: ``p.NAME`` for a single value (and
``p.NAME.unit`` for a size); rows of a list, map or table repeat
``p.NAME`` / ``p.NAME.key`` + ``p.NAME.value`` / ``p.NAME.FIELD``. An empty
optional field means "not given" (the template's default applies). The values
are then checked again by the TOSCA processor (``merge_tosca_errors``), so
these checks are for clear messages, not the last word. One field's text is
checked and converted by ``cumulo.web.field_values``; ``display_values`` is the
way back, what each widget shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cumulo.web.field_values import FieldError, port_rule, scalar, size_value


class FormData(Protocol):
    def getlist(self, key: str) -> list[Any]: ...


@dataclass
class Parsed:
    parameters: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # What the user typed, to fill the form again after an error.
    raw: dict[str, list[str]] = field(default_factory=dict)


def _texts(form: FormData, key: str) -> list[str]:
    return [v if isinstance(v, str) else "" for v in form.getlist(key)]


def _one(form: FormData, key: str) -> str:
    values = _texts(form, key)
    return values[-1].strip() if values else ""


def _rows(form: FormData, name: str, columns: list[str]) -> list[dict[str, str]]:
    """The table rows of ``name``, without the rows left wholly empty."""
    cols = {c: _texts(form, f"p.{name}.{c}") for c in columns}
    n = max((len(v) for v in cols.values()), default=0)
    rows = [
        {c: (cols[c][i].strip() if i < len(cols[c]) else "") for c in columns} for i in range(n)
    ]
    return [r for r in rows if any(r.values())]


def _key_values(rows: list[dict[str, str]], entry: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        key = row["key"]
        if not key:
            raise FieldError(f"A value ({row['value']!r}) has no name")
        if key in out:
            raise FieldError(f"The name {key!r} is given twice")
        out[key] = scalar(row["value"], entry) if row["value"] else ""
    return out


def _record(row: Mapping[str, str], fields: list[Mapping[str, Any]]) -> dict[str, Any]:
    out = {}
    for f in fields:
        text = row.get(str(f["name"]), "")
        if text:
            out[str(f["name"])] = scalar(text, f)
        elif f.get("required") and "default" not in f:
            raise FieldError(f"{f.get('label') or f['name']} is required in every row")
    return out


# Rows of each table widget: (column names, converter of the rows to the value).
def _table(spec: Mapping[str, Any]) -> tuple[list[str], Callable[[list[dict[str, str]]], Any]]:
    widget = spec.get("widget")
    entry = spec.get("entry_schema") or {}
    fields = entry.get("fields") or []
    if widget == "ports":

        def ports(rows: list[dict[str, str]]) -> Any:
            rules = [port_rule(r) for r in rows]
            if spec.get("type") == "list":
                return rules
            return {f"port_{r.get('source') or r['source_range'][0]}": r for r in rules}

        return ["protocol", "port", "remote_cidr"], ports
    if widget == "list_of_maps" and fields:
        return [str(f["name"]) for f in fields], lambda rows: [_record(r, fields) for r in rows]
    if widget == "list_of_maps" or (widget == "key_value" and spec.get("type") == "list"):
        # A list of one-entry maps, as INDIGO's environment_variables: [{KEY: value}, ...].
        inner = entry.get("entry_schema") or {"widget": "text"}
        return ["key", "value"], lambda rows: [_key_values([r], inner) for r in rows]
    if fields:  # a map of a data type: rows named by "key"
        return ["key", *[str(f["name"]) for f in fields]], lambda rows: {
            r["key"]: _record(r, fields) for r in rows
        }
    return ["key", "value"], lambda rows: _key_values(rows, entry or {"widget": "text"})


TABLE_WIDGETS = frozenset({"map", "key_value", "list_of_maps", "ports"})


def table_columns(spec: Mapping[str, Any]) -> list[str]:
    return _table(spec)[0]


def _value(form: FormData, spec: Mapping[str, Any], raw: dict[str, list[str]]) -> Any:
    """The value of one input, or ``None`` when not given."""
    name, widget = str(spec["name"]), spec.get("widget")
    if widget in TABLE_WIDGETS:
        columns, convert = _table(spec)
        rows = _rows(form, name, columns)
        for c in columns:
            raw[f"p.{name}.{c}"] = [r[c] for r in rows]
        return convert(rows) if rows else _empty_table(spec)
    if widget == "list":
        items = [t.strip() for t in _texts(form, f"p.{name}") if t.strip()]
        raw[f"p.{name}"] = items
        entry = {"widget": "text", **(spec.get("entry_schema") or {})}
        if spec.get("pattern_message"):  # the input's words for its entries' pattern
            entry["pattern_message"] = spec["pattern_message"]
        return [_item(i, t, name, entry) for i, t in enumerate(items)] or _empty_table(spec)
    if widget == "boolean":
        values = _texts(form, f"p.{name}")
        raw[f"p.{name}"] = values
        return any(v.lower() in ("true", "on") for v in values)
    text = _one(form, f"p.{name}")
    raw[f"p.{name}"] = [text]
    if widget == "size":
        unit = _one(form, f"p.{name}.unit")
        raw[f"p.{name}.unit"] = [unit]
        return size_value(text, unit, spec) if text else None
    return scalar(text, spec) if text else None


def _item(index: int, text: str, name: str, entry: Mapping[str, Any]) -> Any:
    try:
        return scalar(text, entry)
    except FieldError as exc:  # which entry: "docker_ports[1]: ..."
        raise FieldError(f"{name}[{index}]: {exc}") from None


def _empty_table(spec: Mapping[str, Any]) -> Any:
    """An emptied list or map: given as empty when the template's default is too."""
    default = spec.get("default")
    return default if default in ([], {}) else None


def parse_form(form: FormData, fields: list[Mapping[str, Any]]) -> Parsed:
    """The parameters of the inputs in ``fields`` (form_schema inputs) and the errors."""
    out = Parsed()
    for spec in fields:
        name = str(spec["name"])
        try:
            value = _value(form, spec, out.raw)
        except FieldError as exc:
            out.errors[name] = str(exc)
            continue
        if value is None:
            if spec.get("required") and "default" not in spec:
                out.errors[name] = "This field is required"
            continue
        out.parameters[name] = value
    return out


def merge_tosca_errors(issues: list[Any], fields: list[Mapping[str, Any]]) -> tuple[dict, list]:
    """The processor's issues: ``inputs.NAME`` ones by field, the rest for the form's top."""
    names = {str(f["name"]) for f in fields}
    by_field: dict[str, str] = {}
    general: list[str] = []
    for issue in issues:
        if not getattr(issue, "is_error", True):
            continue
        path = str(getattr(issue, "path", "") or "")
        name = path.removeprefix("inputs.").split(".")[0] if path.startswith("inputs.") else None
        message = str(getattr(issue, "message", issue))
        if name in names:
            # "input docker_ports[0]: ..." shows as "docker_ports[0]: ..." under its field
            message = message.removeprefix(f"input {name}: ").removeprefix("input ")
            by_field.setdefault(name, message)
        else:
            general.append(message)
    return by_field, general


def _size_parts(text: Any, spec: Mapping[str, Any]) -> dict[str, str]:
    m = re.match(r"^\s*([0-9.eE+-]+)\s*([A-Za-z]*)\s*$", str(text or ""))
    if not m:
        return {"number": "", "unit": str(spec.get("unit") or "GB")}
    return {"number": m.group(1), "unit": m.group(2) or str(spec.get("unit") or "GB")}


def _default_rows(spec: Mapping[str, Any], default: Any) -> list[dict[str, Any]]:
    widget = spec.get("widget")
    if widget == "ports" and isinstance(default, Mapping):
        default = list(default.values())
    if widget == "ports" and isinstance(default, list):
        rows = []
        for rule in default:
            if isinstance(rule, Mapping):
                rng = rule.get("source_range")
                port = f"{rng[0]}-{rng[1]}" if isinstance(rng, list) and len(rng) == 2 else ""
                rows.append(
                    {
                        "protocol": rule.get("protocol", "tcp"),
                        "port": str(rule.get("source", port)),
                        "remote_cidr": rule.get("remote_cidr", ""),
                    }
                )
        return rows
    if isinstance(default, Mapping):
        fields = (spec.get("entry_schema") or {}).get("fields")
        if fields:
            return [{"key": k, **v} for k, v in default.items() if isinstance(v, Mapping)]
        return [{"key": k, "value": v} for k, v in default.items()]
    if isinstance(default, list):
        rows = []
        for item in default:
            if isinstance(item, Mapping) and (spec.get("entry_schema") or {}).get("fields"):
                rows.append(dict(item))
            elif isinstance(item, Mapping):
                rows += [{"key": k, "value": v} for k, v in item.items()]
        return rows
    return []


def display_values(
    fields: list[Mapping[str, Any]], raw: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    """What each widget shows: what the user typed (``raw``), else the defaults."""
    out: dict[str, Any] = {}
    for spec in fields:
        name, widget = str(spec["name"]), spec.get("widget")
        default = spec.get("default")
        if widget in TABLE_WIDGETS:
            columns = table_columns(spec)
            if raw is not None:
                cols = {c: raw.get(f"p.{name}.{c}", []) for c in columns}
                n = max((len(v) for v in cols.values()), default=0)
                out[name] = [
                    {c: cols[c][i] if i < len(cols[c]) else "" for c in columns} for i in range(n)
                ]
            else:
                out[name] = _default_rows(spec, default)
        elif widget == "list":
            given = raw.get(f"p.{name}") if raw is not None else None
            out[name] = given if given is not None else [str(x) for x in default or []]
        elif widget == "size":
            if raw is not None:
                out[name] = {
                    "number": (raw.get(f"p.{name}") or [""])[0],
                    "unit": (raw.get(f"p.{name}.unit") or [""])[0] or spec.get("unit") or "GB",
                }
            else:
                out[name] = _size_parts(default, spec)
        elif widget == "boolean":
            out[name] = (
                "true"
                if (raw is not None and "true" in raw.get(f"p.{name}", []))
                or (raw is None and default is True)
                else ""
            )
        elif raw is not None:
            out[name] = (raw.get(f"p.{name}") or [""])[0]
        else:
            out[name] = "" if default is None else str(default)
    return out

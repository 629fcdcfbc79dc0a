"""What the constraints of an input tell a form: choices, bounds, lengths, pattern, unit.

Helpers of ``cumulo.tosca.forms``. Bounds of scalar-units are given as numbers
in the unit the form shows (the default's), so a slider needs no parsing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from cumulo.tosca import units
from cumulo.tosca.constraints import Constraint, parse_constraint
from cumulo.tosca.primitives import UNBOUNDED

# The unit shown when neither the default nor the bounds say one.
_DEFAULT_UNITS: Final = {
    units.SIZE: "GB",
    units.TIME: "s",
    units.FREQUENCY: "GHz",
    units.BITRATE: "Mbps",
}


def parse_constraints(raw: Any, primitive: str, name: str, warnings: list[str]) -> list[Constraint]:
    """The valid clauses of a constraints list; each bad one noted in ``warnings``."""
    if not isinstance(raw, list):
        return []
    found = []
    for clause in raw:
        try:
            found.append(parse_constraint(clause, primitive))
        except ValueError as exc:
            warnings.append(f'input "{name}": constraint ignored: {exc}')
    return found


def choices_of(constraints: list[Constraint]) -> list[dict[str, Any]] | None:
    for constraint in constraints:
        if constraint.operator == "valid_values" and isinstance(constraint.argument, list):
            return [{"value": jsonable(v), "label": label_of(v)} for v in constraint.argument]
    return None


def overlay_choices(raw: Any, name: str, warnings: list[str]) -> list[dict[str, Any]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        warnings.append(f'input "{name}": overlay constraints must be a list of {{value, label}}')
        return None
    choices = []
    for item in raw:
        if isinstance(item, Mapping) and "value" in item:
            value = item["value"]
            choices.append({"value": jsonable(value), "label": str(item.get("label", value))})
        elif not isinstance(item, Mapping | list):
            choices.append({"value": jsonable(item), "label": label_of(item)})
        else:
            warnings.append(f'input "{name}": overlay choice {item!r} has no value; ignored')
    return choices


def bounds_of(constraints: list[Constraint], primitive: str, default: Any) -> dict[str, Any]:
    """min / max (and their exclusivity, lengths, pattern, unit) from the constraints."""
    out: dict[str, Any] = {}
    is_unit = primitive in units.KINDS
    unit = _unit(primitive, default, constraints) if is_unit else None
    if unit is not None:
        out["unit"] = unit

    def number(value: Any) -> Any:
        if value == UNBOUNDED or value is None:
            return None
        if is_unit:
            try:
                return _tidy(units.parse_scalar_unit(value, primitive).to(unit))
            except (units.ScalarUnitError, TypeError):
                return None
        return jsonable(value)

    for c in constraints:
        op, arg = c.operator, c.argument
        if op == "in_range" and isinstance(arg, list) and len(arg) == 2:
            _set(out, "min", number(arg[0]))
            _set(out, "max", number(arg[1]))
        elif op in ("greater_or_equal", "greater_than"):
            exclusive = op == "greater_than"
            if exclusive and primitive == "integer" and isinstance(arg, int):
                _set(out, "min", arg + 1)
            else:
                _set(out, "min", number(arg))
                if exclusive:
                    out["min_exclusive"] = True
        elif op in ("less_or_equal", "less_than"):
            exclusive = op == "less_than"
            if exclusive and primitive == "integer" and isinstance(arg, int):
                _set(out, "max", arg - 1)
            else:
                _set(out, "max", number(arg))
                if exclusive:
                    out["max_exclusive"] = True
        elif op in ("min_length", "max_length"):
            out[op] = arg
        elif op == "length":
            out["min_length"] = out["max_length"] = arg
        elif op == "pattern":
            out["pattern"] = arg
    return out


def _set(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def _unit(primitive: str, default: Any, constraints: list[Constraint]) -> str:
    """The unit the form shows: the default's, else the bounds', else a usual one."""
    candidates = [default]
    for c in constraints:
        candidates.extend(c.argument if isinstance(c.argument, list) else [c.argument])
    for candidate in candidates:
        try:
            return units.parse_scalar_unit(candidate, primitive).unit
        except units.ScalarUnitError:
            continue
    return _DEFAULT_UNITS[primitive]


def label_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _tidy(number: float) -> float | int:
    rounded = round(number, 6)
    return int(rounded) if float(rounded).is_integer() else rounded


def jsonable(value: Any, depth: int = 0) -> Any:
    """A plain-JSON copy of a YAML value (dates as ISO text, unknown objects as text)."""
    if depth > 32:
        return None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)

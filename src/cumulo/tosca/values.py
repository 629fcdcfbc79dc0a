"""Checking values against TOSCA definitions: primitives, scalar-units, lists, maps, data types.

``check_value`` never raises for bad data: it returns the value and every
problem found, each with a path relative to the value.

Strict mode (values written in templates) follows the specification but
accepts, with a ``type-coerced`` warning, what YAML naturally gives when the
meaning is unambiguous: ``default: true`` for a string input ("true"), "8"
for an integer, "True" for a boolean. An integer is a valid float without any
warning (``num_cpus: 1``). Lenient mode (parameters from web forms and the
CLI) applies the same coercions silently and a few more: "yes"/"on" for
booleans and JSON text for lists and maps. A coerced value is returned in its
coerced form; scalar-units stay as written.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from cumulo.tosca import units
from cumulo.tosca.constraints import Constraint
from cumulo.tosca.primitives import (
    FUNCTION_NAMES,
    describe,
    is_function,
    parse_range,
    parse_timestamp,
    parse_version,
)

__all__ = [
    "FUNCTION_NAMES",
    "MISSING",
    "PRIMITIVE_TYPES",
    "DataTypeInfo",
    "DataTypeLookup",
    "Problem",
    "Schema",
    "check_value",
    "is_function",
]


class _Missing(enum.Enum):
    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing.MISSING

PRIMITIVE_TYPES: Final = frozenset(
    {"string", "integer", "float", "boolean", "timestamp", "version", "range", "list", "map"}
    | set(units.KINDS)
    | {"any"}
)
# Short names some templates use for the normative data types.
_ALIASES: Final = {"tosca.datatypes.String": "string"}
_MAX_DEPTH: Final = 64
_INTEGER_RE: Final = re.compile(r"^\s*[+-]?\d+\s*$")
_TRUE: Final = frozenset({"true"})
_FALSE: Final = frozenset({"false"})
_LENIENT_TRUE: Final = frozenset({"true", "yes", "on", "1", "y"})
_LENIENT_FALSE: Final = frozenset({"false", "no", "off", "0", "n"})


@dataclass
class Schema:
    """A property, input, attribute or entry_schema definition."""

    type: str
    required: bool = True
    default: Any = MISSING
    constraints: list[Constraint] = field(default_factory=list)
    entry_schema: Schema | None = None
    key_schema: Schema | None = None


@dataclass
class DataTypeInfo:
    """What the type registry knows of a data type, inheritance already applied.

    ``primitive`` is the primitive it derives from, or None for a complex type;
    ``properties`` and ``constraints`` include the inherited ones.
    """

    name: str
    primitive: str | None
    properties: dict[str, Schema]
    constraints: list[Constraint]


class DataTypeLookup(Protocol):
    def data_type(self, name: str) -> DataTypeInfo | None: ...


@dataclass(frozen=True)
class Problem:
    """One problem with a value; ``path`` is relative to the value checked."""

    path: tuple[str | int, ...]
    code: str
    message: str
    is_warning: bool = False


def check_value(
    value: Any, schema: Schema, lookup: DataTypeLookup, *, lenient: bool = False
) -> tuple[Any, list[Problem]]:
    """Check ``value`` against ``schema``; return the value (coerced) and every problem."""
    checker = _Checker(lookup, lenient)
    result = checker.check(value, schema, ())
    return result, checker.problems


class _Coercion(Exception):
    """Raised inside a primitive check: the value does not fit the type."""


class _Checker:
    def __init__(self, lookup: DataTypeLookup, lenient: bool) -> None:
        self.lookup = lookup
        self.lenient = lenient
        self.problems: list[Problem] = []
        self._unknown_reported: set[str] = set()

    def problem(self, path: tuple, code: str, message: str, warning: bool = False) -> None:
        self.problems.append(Problem(path, code, message, warning))

    def coerced(self, path: tuple, value: Any, result: Any, type_name: str) -> Any:
        """Note a coercion (a warning in strict mode) and return the coerced value."""
        if not self.lenient:
            self.problem(
                path,
                "type-coerced",
                f"{describe(value)} is not a {type_name}; read as {describe(result)}",
                warning=True,
            )
        return result

    def check(self, value: Any, schema: Schema, path: tuple, depth: int = 0) -> Any:
        if is_function(value):
            return value  # evaluated later; its result is checked then
        if depth > _MAX_DEPTH:
            self.problem(path, "too-deep", f"value nested deeper than {_MAX_DEPTH} levels")
            return value
        type_name = _ALIASES.get(schema.type, schema.type)
        if value is None:
            if schema.required:
                self.problem(path, "type-mismatch", f"no value (null) for a {type_name}")
            return value
        before = len(self.problems)
        if type_name in PRIMITIVE_TYPES:
            result = self.check_primitive(value, type_name, schema, path, depth)
            constraints = list(schema.constraints)
        else:
            info = self.lookup.data_type(type_name)
            if info is None:
                if type_name not in self._unknown_reported:
                    self._unknown_reported.add(type_name)
                    self.problem(path, "unknown-type", f'unknown data type "{type_name}"')
                return value
            if info.primitive is not None:
                result = self.check_primitive(value, info.primitive, schema, path, depth)
            else:
                result = self.check_complex(value, info, path, depth)
            constraints = [*info.constraints, *schema.constraints]
        if any(not p.is_warning for p in self.problems[before:]):
            return result  # a value of the wrong type: its constraints say nothing more
        for constraint in constraints:
            message = constraint.check(result)
            if message is not None:
                self.problem(path, "constraint-violated", message)
        return result

    # --- primitives ------------------------------------------------------------

    def check_primitive(
        self, value: Any, type_name: str, schema: Schema, path: tuple, depth: int
    ) -> Any:
        if type_name == "list":
            return self.check_list(value, schema, path, depth)
        if type_name == "map":
            return self.check_map(value, schema, path, depth)
        try:
            return self.scalar(value, type_name, path)
        except _Coercion as exc:
            self.problem(path, "type-mismatch", str(exc))
            return value

    def scalar(self, value: Any, type_name: str, path: tuple) -> Any:
        if type_name == "any":
            return value
        if type_name == "range":
            try:
                parse_range(value)
            except ValueError as exc:
                raise _Coercion(str(exc)) from None
            return value
        if isinstance(value, list | dict):
            raise _Coercion(f"a {_kind(value)} is not a {type_name}")
        if type_name in units.KINDS:
            return self.as_scalar_unit(value, type_name, path)
        return getattr(self, "as_" + type_name)(value, path)

    def as_string(self, value: Any, path: tuple) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return self.coerced(path, value, "true" if value else "false", "string")
        if isinstance(value, int | float):
            return self.coerced(path, value, str(value), "string")
        if isinstance(value, dt.date):  # an unquoted date, as PyYAML reads it
            return self.coerced(path, value, value.isoformat(), "string")
        raise _Coercion(f"{describe(value)} is not a string")

    def as_integer(self, value: Any, path: tuple) -> Any:
        if isinstance(value, bool):
            raise _Coercion(f"{describe(value)} is not an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return self.coerced(path, value, int(value), "integer")
        if isinstance(value, str) and _INTEGER_RE.match(value):
            return self.coerced(path, value, int(value), "integer")
        raise _Coercion(f"{describe(value)} is not an integer")

    def as_float(self, value: Any, path: tuple) -> Any:
        if isinstance(value, bool):
            raise _Coercion(f"{describe(value)} is not a float")
        if isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                raise _Coercion(f"{describe(value)} is not a finite float")
            return value  # a YAML integer is a valid float
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                return self.coerced(path, value, number, "float")
        raise _Coercion(f"{describe(value)} is not a float")

    def as_boolean(self, value: Any, path: tuple) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            word = value.strip().lower()
            if word in (_LENIENT_TRUE if self.lenient else _TRUE):
                return self.coerced(path, value, True, "boolean")
            if word in (_LENIENT_FALSE if self.lenient else _FALSE):
                return self.coerced(path, value, False, "boolean")
        raise _Coercion(f"{describe(value)} is not a boolean (true or false)")

    def as_timestamp(self, value: Any, path: tuple) -> Any:
        try:
            parse_timestamp(value)
        except ValueError as exc:
            raise _Coercion(str(exc)) from None
        return value

    def as_version(self, value: Any, path: tuple) -> Any:
        try:
            parse_version(value)
        except ValueError as exc:
            try:  # "12" (Debian 12): a bare major version, as tosca-parser also reads it
                parse_version(value, major_only=True)
            except ValueError:
                raise _Coercion(str(exc)) from None
        return str(value) if self.lenient and not isinstance(value, str) else value

    def as_scalar_unit(self, value: Any, type_name: str, path: tuple) -> Any:
        try:
            parsed = units.parse_scalar_unit(value, type_name)
        except units.ScalarUnitError as exc:
            raise _Coercion(str(exc)) from None
        if parsed.warning:
            self.problem(path, "unit-case", parsed.warning, warning=True)
        return value

    # --- collections -----------------------------------------------------------

    def from_json(self, value: Any, kind: type, path: tuple) -> Any:
        """In lenient mode, JSON text for a list or a map (as forms and the CLI send them)."""
        if self.lenient and isinstance(value, str):
            try:
                decoded = json.loads(value)
            except ValueError:
                return value
            if isinstance(decoded, kind):
                return decoded
        return value

    def check_list(self, value: Any, schema: Schema, path: tuple, depth: int) -> Any:
        value = self.from_json(value, list, path)
        if not isinstance(value, list):
            if isinstance(value, tuple):
                value = list(value)
            else:
                self.problem(path, "type-mismatch", f"{describe(value)} is not a list")
                return value
        entry = schema.entry_schema
        if entry is None:
            return value
        return [self.check(item, entry, (*path, i), depth + 1) for i, item in enumerate(value)]

    def check_map(self, value: Any, schema: Schema, path: tuple, depth: int) -> Any:
        value = self.from_json(value, dict, path)
        if not isinstance(value, dict):
            self.problem(path, "type-mismatch", f"{describe(value)} is not a map")
            return value
        key_schema = schema.key_schema or Schema("string")
        entry = schema.entry_schema
        result = {}
        for key, item in value.items():
            checked_key = self.check(key, key_schema, (*path, key), depth + 1)
            result[checked_key] = (
                item if entry is None else self.check(item, entry, (*path, key), depth + 1)
            )
        return result

    def check_complex(self, value: Any, info: DataTypeInfo, path: tuple, depth: int) -> Any:
        value = self.from_json(value, dict, path)
        if not isinstance(value, dict):
            self.problem(
                path, "type-mismatch", f"{describe(value)} is not a {info.name} (expected a map)"
            )
            return value
        result: dict[Any, Any] = {}
        for key, item in value.items():
            definition = info.properties.get(key)
            if definition is None:
                self.problem(
                    (*path, key),
                    "unknown-property",
                    f'"{key}" is not a property of {info.name}{_hint(key, info.properties)}',
                )
                result[key] = item
            else:
                result[key] = self.check(item, definition, (*path, key), depth + 1)
        for name, definition in info.properties.items():
            if name in value:
                continue
            if definition.default is not MISSING:
                result[name] = definition.default
            elif definition.required:
                self.problem(
                    (*path, name),
                    "missing-property",
                    f'required property "{name}" of {info.name} is missing',
                )
        return result


def _kind(value: Any) -> str:
    return "list" if isinstance(value, list) else "map"


def _hint(name: Any, known: dict[str, Schema]) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""

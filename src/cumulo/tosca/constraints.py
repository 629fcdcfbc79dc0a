"""TOSCA constraint clauses: parsed once per definition, then checked against values.

``parse_constraint`` checks the clause itself (operator, argument shape,
arguments of the property's type, a valid regex) and raises ValueError saying
what is wrong. ``Constraint.check`` compares a value after normalising it for
its type, so "2 GiB" is greater than "2 GB" and "1.10" is a later version
than "1.9".
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Final

from cumulo.tosca import units
from cumulo.tosca.primitives import (
    UNBOUNDED,
    contains_function,
    describe,
    parse_timestamp,
    parse_version,
)

COMPARISONS: Final = {
    "greater_than": (lambda v, a: v > a, "greater than"),
    "greater_or_equal": (lambda v, a: v >= a, "greater than or equal to"),
    "less_than": (lambda v, a: v < a, "less than"),
    "less_or_equal": (lambda v, a: v <= a, "less than or equal to"),
}
LENGTHS: Final = ("length", "min_length", "max_length")
OPERATORS: Final = (
    "equal",
    *COMPARISONS,
    "in_range",
    "valid_values",
    *LENGTHS,
    "pattern",
    "schema",
)
_ORDERED_TYPES: Final = frozenset({"integer", "float", "string", "version", "timestamp"}) | set(
    units.KINDS
)
_NOT_COMPARABLE: Final = object()
PATTERN_MISMATCH: Final = "does not match the pattern"  # inputs swap in a readable message


def comparable(value: Any, type_name: str) -> Any:
    """``value`` in a form that compares correctly for ``type_name``; ValueError if impossible.

    Strings accept the YAML scalars a template author means as text (true, 8080).
    """
    if type_name in units.KINDS:
        if isinstance(value, units.ScalarUnit):
            return value
        return units.parse_scalar_unit(value, type_name)
    if type_name == "version":
        return parse_version(value, major_only=True)
    if type_name == "timestamp":
        return parse_timestamp(value)
    if type_name == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        raise ValueError(f"{describe(value)} is not a string")
    if type_name == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValueError(f"{describe(value)} is not an integer")
    if type_name == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        raise ValueError(f"{describe(value)} is not a float")
    if type_name == "boolean":
        if isinstance(value, bool):
            return value
        raise ValueError(f"{describe(value)} is not a boolean")
    return value


def _loose_argument(argument: Any, type_name: str) -> str | None:
    """A warning when a constraint argument is of the property's type only by coercion."""
    if type_name == "string" and not isinstance(argument, str):
        return f"constraint argument {describe(argument)} is not a string; compared as text"
    if type_name == "integer" and isinstance(argument, float):
        return f"constraint argument {argument} is a float for an integer"
    return None


@dataclass(frozen=True)
class Constraint:
    """One constraint clause, e.g. ``Constraint("greater_or_equal", 1)``.

    ``type_name`` is the primitive type of the values it constrains ("" when
    unknown: arguments are then compared as written). ``warning`` says when an
    argument was accepted only by coercion (``valid_values: [true]`` on a string).
    """

    operator: str
    argument: Any
    type_name: str = ""
    warning: str | None = field(default=None, compare=False)
    _parsed: Any = field(default=_NOT_COMPARABLE, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            parsed = self._parse_argument()
        except (ValueError, TypeError):
            parsed = _NOT_COMPARABLE
        object.__setattr__(self, "_parsed", parsed)

    def _parse_argument(self) -> Any:
        op, arg, kind = self.operator, self.argument, self.type_name
        if op == "equal" or op in COMPARISONS:
            return comparable(arg, kind)
        if op == "in_range":
            return tuple(None if a == UNBOUNDED else comparable(a, kind) for a in arg)
        if op == "valid_values":
            return [comparable(a, kind) for a in arg]
        if op == "pattern":
            return re.compile(arg)
        return arg

    def check(self, value: Any) -> str | None:
        """The violation message for ``value``, or None when it satisfies the constraint."""
        if contains_function(value):
            return None  # evaluated later, checked then
        op, parsed = self.operator, self._parsed
        if parsed is _NOT_COMPARABLE:
            return f"constraint {op}: {describe(self.argument)} is invalid"
        if op in LENGTHS:
            return self._check_length(value)
        if op == "pattern":
            text = comparable(value, "string") if isinstance(value, int | float) else value
            if not isinstance(text, str):
                return f"{describe(value)} is not a string to match pattern {parsed.pattern!r}"
            if parsed.fullmatch(text) is None:
                return f"{describe(value)} {PATTERN_MISMATCH} {parsed.pattern!r}"
            return None
        if op == "schema":
            return None  # TOSCA leaves the schema language open: nothing portable to check
        try:
            normal = comparable(value, self.type_name)
            return self._compare(normal, value)
        except (ValueError, TypeError):
            return f"{describe(value)} cannot be compared with {describe(self.argument)} ({op})"

    def _compare(self, normal: Any, value: Any) -> str | None:
        op, parsed = self.operator, self._parsed
        if op == "equal":
            return None if normal == parsed else f"{describe(value)} must equal {_show(self)}"
        if op in COMPARISONS:
            test, words = COMPARISONS[op]
            if test(normal, parsed):
                return None
            return f"{describe(value)} must be {words} {_show(self)}"
        if op == "in_range":
            lower, upper = parsed
            # a range value is in range when both its bounds are (UNBOUNDED never is)
            points = _range_bounds(normal) if self.type_name == "range" else [normal]
            outside = [
                p
                for p in points
                if p is None
                or (lower is not None and p < lower)
                or (upper is not None and p > upper)
            ]
            if outside:
                low, high = (describe(a) if a != UNBOUNDED else a for a in self.argument)
                return f"{describe(value)} must be in the range [{low}, {high}]"
            return None
        if op == "valid_values":
            if any(normal == allowed for allowed in parsed):
                return None
            choices = ", ".join(describe(a) for a in self.argument)
            return f"{describe(value)} must be one of: {choices}"
        return None

    def _check_length(self, value: Any) -> str | None:
        if not isinstance(value, str | list | dict):
            return f"{describe(value)} has no length"
        size, limit = len(value), self.argument
        if self.operator == "length" and size != limit:
            return f"{describe(value)} has length {size}, must be exactly {limit}"
        if self.operator == "min_length" and size < limit:
            return f"{describe(value)} has length {size}, must be at least {limit}"
        if self.operator == "max_length" and size > limit:
            return f"{describe(value)} has length {size}, must be at most {limit}"
        return None


def _range_bounds(value: Any) -> list[Any]:
    """The bounds of a range value [a, b], None for UNBOUNDED; ValueError if not a range."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"{describe(value)} is not a range")
    return [None if bound == UNBOUNDED else bound for bound in value]


def _show(constraint: Constraint) -> str:
    return describe(constraint.argument)


def parse_constraint(raw: Any, type_name: str) -> Constraint:
    """Parse one clause of a ``constraints`` list for values of ``type_name``.

    ``type_name`` is the primitive type (string, integer, scalar-unit.size, ...);
    for any other type the arguments are checked for shape only. Raises
    ValueError with a message that names the problem.
    """
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError(
            f"a constraint is a map of one operator to its argument, got {describe(raw)}"
        )
    operator, argument = next(iter(raw.items()))
    if operator not in OPERATORS:
        close = difflib.get_close_matches(str(operator), OPERATORS, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        raise ValueError(f'unknown constraint operator "{operator}"{hint}')
    warning = _check_shape(operator, argument, type_name)
    return Constraint(operator, argument, type_name, warning)


def _check_shape(operator: str, argument: Any, type_name: str) -> str | None:
    typed = type_name in _ORDERED_TYPES or type_name == "boolean"
    if operator in LENGTHS:
        if isinstance(argument, bool) or not isinstance(argument, int) or argument < 0:
            raise ValueError(f"{operator} needs a non-negative integer, got {describe(argument)}")
        return None
    if operator == "pattern":
        if not isinstance(argument, str):
            raise ValueError(f"pattern needs a regular expression string, got {describe(argument)}")
        try:
            re.compile(argument)
        except re.error as exc:
            raise ValueError(
                f"pattern {argument!r} is not a valid regular expression: {exc}"
            ) from None
        return None
    if operator == "schema":
        if not isinstance(argument, str | dict):
            raise ValueError(f"schema needs a schema definition, got {describe(argument)}")
        return None
    if operator in ("in_range", "valid_values"):
        if not isinstance(argument, list) or (operator == "in_range" and len(argument) != 2):
            shape = "[lower, upper]" if operator == "in_range" else "a list of values"
            raise ValueError(f"{operator} needs {shape}, got {describe(argument)}")
        items = argument
    else:
        if typed and isinstance(argument, list | dict):
            raise ValueError(f"{operator} needs a single {type_name}, got {describe(argument)}")
        items = [argument]
    ordering = operator in COMPARISONS or operator == "in_range"
    if ordering and typed and type_name not in _ORDERED_TYPES:
        raise ValueError(f"{operator} does not apply to {type_name} values")
    if not typed:
        return None
    warnings = []
    for item in items:
        if operator == "in_range" and item == UNBOUNDED:
            continue
        try:
            comparable(item, type_name)
        except ValueError as exc:
            raise ValueError(f"{operator} argument: {exc}") from None
        warnings.append(_loose_argument(item, type_name))
    if operator == "in_range":
        low, high = (None if a == UNBOUNDED else comparable(a, type_name) for a in items)
        if low is not None and high is not None and low > high:
            raise ValueError(f"in_range {describe(argument)} has its lower bound above its upper")
    found = [w for w in warnings if w]
    return found[0] if found else None

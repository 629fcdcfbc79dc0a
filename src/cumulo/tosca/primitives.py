"""Parsers for the TOSCA primitive types that are not plain YAML: version, timestamp, range.

Shared by ``values`` (type checks) and ``constraints`` (comparisons), which is
why they live apart from both. Each parser raises ValueError with a message fit
for a user.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Final

# The TOSCA intrinsic functions: a value that is a call to one of them is
# evaluated later, so it is not type-checked where it is written.
FUNCTION_NAMES: Final = frozenset(
    {
        "get_input",
        "get_property",
        "get_attribute",
        "get_operation_output",
        "get_artifact",
        "concat",
        "join",
        "token",
        "get_nodes_of_type",
    }
)

UNBOUNDED: Final = "UNBOUNDED"


def is_function(value: Any) -> bool:
    """True when ``value`` is a call of a TOSCA intrinsic function: ``{get_input: x}``."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in FUNCTION_NAMES


def contains_function(value: Any, depth: int = 0) -> bool:
    """True when a function call appears anywhere inside ``value``."""
    if depth > 64:
        return False
    if is_function(value):
        return True
    if isinstance(value, dict):
        return any(contains_function(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(contains_function(v, depth + 1) for v in value)
    return False


def describe(value: Any) -> str:
    """A short rendering of a value for messages: strings quoted, long values cut."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f'"{value}"'
    elif value is None:
        text = "null"
    else:
        text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


# --- version -----------------------------------------------------------------

_VERSION_RE: Final = re.compile(
    r"^(?P<major>\d+)\.(?P<minor>\d+)"
    r"(?:\.(?P<fix>\d+)(?:\.(?P<qualifier>[A-Za-z0-9_]+)(?:-(?P<build>\d+))?)?)?$"
)


@dataclass(frozen=True, order=True)
class Version:
    """A TOSCA version ``major.minor[.fix[.qualifier[-build]]]``, ordered field by field."""

    major: int
    minor: int
    fix: int = 0
    qualifier: str = ""
    build: int = 0

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}"
        if self.fix or self.qualifier:
            text += f".{self.fix}"
        if self.qualifier:
            text += f".{self.qualifier}"
            if self.build:
                text += f"-{self.build}"
        return text


_MAJOR_ONLY_RE: Final = re.compile(r"^\d+$")


def parse_version(value: Any, *, major_only: bool = False) -> Version:
    """Parse a TOSCA version. A YAML number such as ``16.04`` reads as its text "16.04".

    ``major_only`` also accepts a bare major version ("12" reads as 12.0), which
    TOSCA does not allow but operating-system versions are often written so.
    """
    if isinstance(value, Version):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{describe(value)} is not a version (expected major.minor[.fix])")
    text = str(value).strip()
    if major_only and _MAJOR_ONLY_RE.match(text):
        return Version(int(text), 0)
    match = _VERSION_RE.match(text)
    if match is None:
        raise ValueError(
            f"{describe(value)} is not a version "
            "(expected major.minor[.fix[.qualifier[-build]]], e.g. 1.0 or 2.1.3)"
        )
    return Version(
        int(match["major"]),
        int(match["minor"]),
        int(match["fix"] or 0),
        match["qualifier"] or "",
        int(match["build"] or 0),
    )


# --- timestamp ---------------------------------------------------------------

# YAML 1.1/1.2 timestamp: date, or date and time separated by T/t or spaces,
# fractional seconds, and a zone Z or +hh[:mm] possibly after spaces.
_TIMESTAMP_RE: Final = re.compile(
    r"^(?P<date>\d{4}-\d{1,2}-\d{1,2})"
    r"(?:(?:[Tt]|[ \t]+)(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.(?P<frac>\d*))?"
    r"(?:[ \t]*(?P<tz>Z|[+-]\d{1,2}(?::?\d{2})?))?)?$"
)


def parse_timestamp(value: Any) -> dt.datetime:
    """Parse a YAML / ISO 8601 timestamp; naive times are taken as UTC, as YAML says."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if not isinstance(value, str):
        raise ValueError(f"{describe(value)} is not a timestamp")
    match = _TIMESTAMP_RE.match(value.strip())
    if match is None:
        raise ValueError(
            f"{describe(value)} is not a timestamp (expected ISO 8601, e.g. 2024-05-01T12:00:00Z)"
        )
    try:
        year, month, day = (int(part) for part in match["date"].split("-"))
        if match["h"] is None:
            return dt.datetime(year, month, day, tzinfo=dt.UTC)
        micro = int((match["frac"] or "0")[:6].ljust(6, "0"))
        return dt.datetime(
            year,
            month,
            day,
            int(match["h"]),
            int(match["m"]),
            int(match["s"]),
            micro,
            tzinfo=_zone(match["tz"]),
        )
    except ValueError as exc:  # e.g. month 13, hour 25
        raise ValueError(f"{describe(value)} is not a valid timestamp: {exc}") from None


def _zone(text: str | None) -> dt.tzinfo:
    if text is None or text == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2] if len(digits) > 2 else digits)
    minutes = int(digits[2:]) if len(digits) > 2 else 0
    if hours > 23 or minutes > 59:
        raise ValueError(f"bad time zone offset {text}")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


# --- range -------------------------------------------------------------------


def parse_range(value: Any) -> tuple[int | float, int | float]:
    """Parse a TOSCA range ``[lower, upper]``; UNBOUNDED becomes an infinite bound."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"{describe(value)} is not a range (expected [lower, upper])")
    lower = _bound(value[0], -float("inf"))
    upper = _bound(value[1], float("inf"))
    if lower > upper:
        raise ValueError(f"range {describe(list(value))} has its lower bound above its upper")
    return lower, upper


def _bound(value: Any, unbounded: float) -> int | float:
    if value == UNBOUNDED:
        return unbounded
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"range bound {describe(value)} is not an integer or UNBOUNDED")
    return value

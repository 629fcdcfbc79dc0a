"""TOSCA scalar-units: size, time, frequency and bitrate (TOSCA Simple Profile 1.3, 3.3.6).

A scalar-unit is written ``<number> [space] <unit>``: "4 GB", "4GB", "500 ms".
Units are matched exactly first, then case-insensitively (real templates write
"GIB" or "gb"); a case-insensitive match is accepted but carries a warning so
that the template's author can fix it. Bitrate units differ only by case
between bits and bytes ("Kbps" vs "KBps"), so a case-insensitive bitrate match
is accepted only when it is unambiguous.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Final

SIZE: Final = "scalar-unit.size"
TIME: Final = "scalar-unit.time"
FREQUENCY: Final = "scalar-unit.frequency"
BITRATE: Final = "scalar-unit.bitrate"

# Canonical unit -> factor to the base unit (bytes, seconds, hertz, bits per second).
_UNITS: Final[dict[str, dict[str, float]]] = {
    SIZE: {
        "B": 1,
        "kB": 1000,
        "KiB": 1024,
        "MB": 1000**2,
        "MiB": 1024**2,
        "GB": 1000**3,
        "GiB": 1024**3,
        "TB": 1000**4,
        "TiB": 1024**4,
    },
    TIME: {
        "d": 86400,
        "h": 3600,
        "m": 60,
        "s": 1,
        "ms": 1e-3,
        "us": 1e-6,
        "ns": 1e-9,
    },
    FREQUENCY: {"Hz": 1, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9},
    BITRATE: {
        "bps": 1,
        "Kbps": 1000,
        "Kibps": 1024,
        "Mbps": 1000**2,
        "Mibps": 1024**2,
        "Gbps": 1000**3,
        "Gibps": 1024**3,
        "Tbps": 1000**4,
        "Tibps": 1024**4,
        "Bps": 8,
        "KBps": 8 * 1000,
        "KiBps": 8 * 1024,
        "MBps": 8 * 1000**2,
        "MiBps": 8 * 1024**2,
        "GBps": 8 * 1000**3,
        "GiBps": 8 * 1024**3,
        "TBps": 8 * 1000**4,
        "TiBps": 8 * 1024**4,
    },
}

KINDS: Final = tuple(_UNITS)
_BASE_UNIT: Final = {SIZE: "B", TIME: "s", FREQUENCY: "Hz", BITRATE: "bps"}

# Lower-cased unit -> canonical units sharing that spelling (several only for bitrate).
_FOLDED: Final[dict[str, dict[str, list[str]]]] = {
    kind: {
        folded: [u for u in units if u.lower() == folded] for folded in {u.lower() for u in units}
    }
    for kind, units in _UNITS.items()
}

_SCALAR_RE: Final = re.compile(
    r"^\s*(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>[A-Za-z]+)\s*$"
)


# A number written with more characters than this is no quantity anyone means.
_MAX_DIGITS = 64


class ScalarUnitError(ValueError):
    """A text is not a scalar-unit of the expected kind; the message says why."""


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class ScalarUnit:
    """A parsed scalar-unit. Compares and hashes by its value in the base unit."""

    number: float | int
    unit: str  # canonical spelling, e.g. "GiB"
    kind: str  # one of KINDS
    warning: str | None = field(default=None, compare=False)

    @property
    def value(self) -> float:
        """The quantity in the base unit (bytes, seconds, Hz, bits per second)."""
        return self.number * _UNITS[self.kind][self.unit]

    def to(self, unit: str) -> float:
        """The quantity expressed in another unit of the same kind."""
        canonical, _ = _match_unit(unit, self.kind)
        return self.value / _UNITS[self.kind][canonical]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScalarUnit) or other.kind != self.kind:
            return NotImplemented
        return math.isclose(self.value, other.value, rel_tol=1e-12, abs_tol=0.0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ScalarUnit):
            return NotImplemented
        if other.kind != self.kind:
            raise TypeError(f"cannot compare a {self.kind} with a {other.kind}")
        return self.value < other.value and self != other

    def __hash__(self) -> int:
        return hash((self.kind, round(self.value, 6)))

    def __str__(self) -> str:
        return f"{_format_number(self.number)} {self.unit}"


def _format_number(number: float | int) -> str:
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return str(number)


def _match_unit(unit: str, kind: str) -> tuple[str, str | None]:
    """The canonical unit for ``unit`` and a warning when its case was not canonical."""
    units = _UNITS[kind]
    if unit in units:
        return unit, None
    candidates = _FOLDED[kind].get(unit.lower(), [])
    if len(candidates) == 1:
        canonical = candidates[0]
        return canonical, f'unit "{unit}" should be written "{canonical}"'
    if len(candidates) > 1:
        raise ScalarUnitError(
            f'unit "{unit}" is ambiguous for {kind}: write one of {", ".join(candidates)}'
        )
    raise ScalarUnitError(f'unknown unit "{unit}" for {kind} (expected one of {", ".join(units)})')


def parse_scalar_unit(text: object, kind: str) -> ScalarUnit:
    """Parse ``text`` ("4 GB") as a scalar-unit of ``kind`` (SIZE, TIME, FREQUENCY, BITRATE).

    Raises ScalarUnitError with a message fit for a user.
    """
    if kind not in _UNITS:
        raise ScalarUnitError(f"unknown scalar-unit type {kind!r}")
    if isinstance(text, bool) or not isinstance(text, str):
        shown = text if len(repr(text)) < 60 else f"{repr(text)[:57]}..."
        raise ScalarUnitError(
            f'{shown!r} is not a {kind}: write a number and a unit, e.g. "{_example(kind)}"'
        )
    match = _SCALAR_RE.match(text)
    if match is None:
        shown = text if len(text) < 60 else f"{text[:57]}..."
        raise ScalarUnitError(
            f'"{shown}" is not a {kind}: write a number and a unit, e.g. "{_example(kind)}"'
        )
    raw_number = match["number"]
    if len(raw_number) > _MAX_DIGITS:
        raise ScalarUnitError(f'"{text[:57]}..." is not a finite {kind}')
    integral = re.fullmatch(r"[+-]?\d+", raw_number)
    number: float | int = int(raw_number) if integral else float(raw_number)
    unit, warning = _match_unit(match["unit"], kind)
    # Finite in the base unit too: "1e308 TB" would overflow every later use.
    if not math.isfinite(float(number) * _UNITS[kind][unit]):
        raise ScalarUnitError(f'"{text}" is not a finite {kind}')
    return ScalarUnit(number, unit, kind, warning)


def _example(kind: str) -> str:
    return {SIZE: "4 GB", TIME: "30 s", FREQUENCY: "2 GHz", BITRATE: "100 Mbps"}[kind]


def units_of(kind: str) -> tuple[str, ...]:
    """The canonical units of a kind, smallest factor first for sizes as listed by TOSCA."""
    return tuple(_UNITS[kind])


def base_unit(kind: str) -> str:
    return _BASE_UNIT[kind]


def normalise(text: str, kind: str) -> str:
    """The canonical spelling of a scalar-unit text: "4gb" -> "4 GB"."""
    return str(parse_scalar_unit(text, kind))


def parse_size(text: str) -> int:
    """Bytes in a size: ``parse_size("2 GB") == 2_000_000_000``."""
    return round(parse_scalar_unit(text, SIZE).value)


def parse_time(text: str) -> float:
    """Seconds in a duration: ``parse_time("500 ms") == 0.5``."""
    return float(parse_scalar_unit(text, TIME).value)


def parse_frequency(text: str) -> float:
    """Hertz in a frequency: ``parse_frequency("2 GHz") == 2e9``."""
    return float(parse_scalar_unit(text, FREQUENCY).value)


def parse_bitrate(text: str) -> float:
    """Bits per second in a bitrate: ``parse_bitrate("1 KBps") == 8000``."""
    return float(parse_scalar_unit(text, BITRATE).value)

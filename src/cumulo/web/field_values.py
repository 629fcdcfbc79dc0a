"""One field of the wizard's form: its text checked and converted, with a message to show.

``scalar`` converts the text of a single value by its widget (number, choice,
SSH key, e-mail, host name, pattern), ``size_value`` a number and unit,
``port_rule`` a row of the Ports table. A ``FieldError``'s message is shown
next to the field; ``cumulo.web.form_values`` gathers the fields of a form.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from cumulo.tosca import units

SSH_KEY_RE = re.compile(
    r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)"
    r"@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$"
)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9-]{1,63})*$"
)
PORT_RANGE_RE = re.compile(r"^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$")
CIDR_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$|^[0-9a-fA-F:]+/\d{1,3}$")


class FieldError(ValueError):
    """A value the user must correct; the message is shown next to the field."""


def _number(text: str, spec: Mapping[str, Any], integer: bool) -> int | float:
    try:
        value: int | float = int(text) if integer else float(text)
    except ValueError:
        raise FieldError("Enter a whole number" if integer else "Enter a number") from None
    if not integer and not math.isfinite(value):
        raise FieldError("Enter a finite number")
    _check_bounds(value, spec, spec.get("unit"))
    return value


def _check_bounds(value: float, spec: Mapping[str, Any], unit: str | None) -> None:
    unit_text = f" {unit}" if unit else ""
    lo, hi = spec.get("min"), spec.get("max")
    if lo is not None and (value <= lo if spec.get("min_exclusive") else value < lo):
        word = "more than" if spec.get("min_exclusive") else "at least"
        raise FieldError(f"Must be {word} {lo:g}{unit_text}")
    if hi is not None and (value >= hi if spec.get("max_exclusive") else value > hi):
        word = "less than" if spec.get("max_exclusive") else "at most"
        raise FieldError(f"Must be {word} {hi:g}{unit_text}")


def _text(text: str, spec: Mapping[str, Any]) -> str:
    widget = spec.get("widget")
    if widget == "ssh_key" and not SSH_KEY_RE.match(text):
        raise FieldError(
            "Not an SSH public key: paste one line such as 'ssh-ed25519 AAAA… you@host'"
        )
    if widget == "email" and not EMAIL_RE.match(text):
        raise FieldError("Enter an e-mail address such as name@example.org")
    if widget == "hostname" and not HOSTNAME_RE.match(text):
        raise FieldError("Enter a host name: letters, digits, '-' and '.'")
    lo, hi = spec.get("min_length"), spec.get("max_length")
    if lo is not None and len(text) < lo:
        raise FieldError(f"At least {lo} characters")
    if hi is not None and len(text) > hi:
        raise FieldError(f"At most {hi} characters")
    pattern = spec.get("pattern")
    if isinstance(pattern, str):
        try:
            ok = re.fullmatch(pattern, text) is not None
        except re.error:
            ok = True  # the template's own problem; the processor reports it
        if not ok:
            readable = spec.get("pattern_message")
            if isinstance(readable, str):
                raise FieldError(readable.replace("{value}", f'"{text}"'))
            raise FieldError(f"Must match the pattern {pattern}")
    return text


def _choice(text: str, spec: Mapping[str, Any]) -> Any:
    for choice in spec.get("choices") or []:
        if str(choice.get("value")) == text:
            return choice.get("value")
    raise FieldError("Choose one of the listed values")


def size_value(number: str, unit: str, spec: Mapping[str, Any]) -> str:
    """A size field's number and unit as a TOSCA scalar-unit ("512 MB"), within its bounds."""
    unit = unit or str(spec.get("unit") or "GB")
    if unit not in units.units_of(units.SIZE):
        raise FieldError(f"Unknown unit {unit!r}")
    value = _number(number, {}, integer=False)
    if value < 0:
        raise FieldError("Must not be negative")
    field_unit = spec.get("unit")
    if field_unit:  # bounds are numbers in the field's unit
        as_field_unit = units.parse_size(f"{value} {unit}") / units.parse_size(f"1 {field_unit}")
        _check_bounds(as_field_unit, spec, str(field_unit))
    return f"{value:g} {unit}"


def scalar(text: str, spec: Mapping[str, Any]) -> Any:
    """One non-empty value of ``spec``'s widget, converted; FieldError if wrong."""
    widget = spec.get("widget")
    if spec.get("choices"):
        return _choice(text, spec)
    if widget == "integer":
        return _number(text, spec, integer=True)
    if widget == "float":
        return _number(text, spec, integer=False)
    if widget == "boolean":
        return text.lower() in ("true", "on", "yes", "1")
    return _text(text, spec)


def port_rule(row: Mapping[str, str]) -> dict[str, Any]:
    """A row of the Ports table (protocol, port or range, source CIDR) as INDIGO's PortSpec."""
    m = PORT_RANGE_RE.match(row.get("port", ""))
    if not m:
        raise FieldError("A port is a number such as 8080 or a range such as 8000-8100")
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    if not (1 <= first <= last <= 65535):
        raise FieldError("Ports are between 1 and 65535, the range low to high")
    rule: dict[str, Any] = {"protocol": row.get("protocol") or "tcp"}
    if rule["protocol"] not in ("tcp", "udp", "icmp"):
        raise FieldError("The protocol is tcp, udp or icmp")
    if first == last:
        rule["source"] = first
    else:
        rule["source_range"] = [first, last]
    cidr = row.get("remote_cidr", "").strip()
    if cidr:
        if not CIDR_RE.match(cidr):
            raise FieldError(f"{cidr!r} is not a network such as 0.0.0.0/0 or 192.0.2.0/24")
        rule["remote_cidr"] = cidr
    return rule

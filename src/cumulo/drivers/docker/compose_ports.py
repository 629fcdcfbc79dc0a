"""A compose service's published ports: all on 127.0.0.1, counted against the port cap.

Forms, as compose has them: ``80``, ``"8080:80"``, ``"ip:8080:80"``, ranges
``"8000-8009:80-89"`` / ``"80-89"``, a ``/udp`` suffix, and the long syntax
(``target``, ``published``, ``protocol``). Whatever address a file gives, the
port is published on 127.0.0.1; a range counts each of its ports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.drivers.docker.compose_refusal import Refusal
from cumulo.drivers.docker.ports import LOCALHOST

PROTOCOLS = ("tcp", "udp", "sctp")


def local_ports(refuse: Refusal, where: str, value: Any) -> list[str]:
    """The service's ports as ``127.0.0.1:[published]:target/protocol`` strings."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        refuse(where, "must be a list of ports")
    return [_local_port(refuse, f"{where}[{i}]", port) for i, port in enumerate(value)]


def port_count(ports: list[str]) -> int:
    """How many host ports ``local_ports``'s result publishes."""
    return sum(_span(p.rsplit(":", 1)[-1].partition("/")[0]) for p in ports)


def _local_port(refuse: Refusal, where: str, port: Any) -> str:
    if isinstance(port, Mapping):
        target, published = port.get("target"), port.get("published")
        protocol = str(port.get("protocol") or "tcp")
    elif isinstance(port, int | str) and not isinstance(port, bool):
        text, _, protocol = str(port).partition("/")
        parts = text.split(":")
        if len(parts) > 3:
            refuse(where, f"{port!r} is not a port")
        target, published = parts[-1], parts[-2] if len(parts) > 1 else ""
        protocol = protocol or "tcp"
    else:
        refuse(where, f"{port!r} is not a port")
    target, published = str(target or ""), str(published or "")
    if not target:
        refuse(where, f"{port!r} has no container port")
    targets = _range(refuse, where, port, target)
    if published and _range(refuse, where, port, published) and _span(published) != targets:
        refuse(where, f"{port!r}: the host and container ranges differ in length")
    if protocol not in PROTOCOLS:
        refuse(where, f"protocol {protocol!r} is not tcp, udp or sctp")
    return f"{LOCALHOST}:{published}:{target}/{protocol}"


def _range(refuse: Refusal, where: str, port: Any, text: str) -> int:
    """The number of ports in ``80`` or ``80-89``, refusing anything else."""
    first, _, last = text.partition("-")
    numbers = [first, last] if last else [first]
    if not all(n.isdigit() and 1 <= int(n) <= 65535 for n in numbers):
        refuse(where, f"{port!r} is not a port")
    if int(numbers[-1]) < int(numbers[0]):
        refuse(where, f"{port!r}: the range ends before it starts")
    return _span(text)


def _span(text: str) -> int:
    first, _, last = text.partition("-")
    return int(last or first) - int(first) + 1

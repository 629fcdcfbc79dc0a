"""Published ports: what a template asks for, and what Docker actually bound.

Every port is published on 127.0.0.1 only, at the host port asked for or a
free one the engine picks. Accepted forms, as real templates write them:
``80``, ``"80/udp"``, ``"8080:80"`` (host:container), ``"127.0.0.1:8080:80"`` (docker
CLI syntax; no other address), a PortSpec-like mapping
``{source|port|target_port: 80, target|published|host_port: 8080, protocol: tcp}``
(a TOSCA PortSpec: ``source_range: [8000, 8009]`` publishes each of its ports),
a list of those, or a map of name -> one of those (INDIGO endpoint ports).
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from cumulo.errors import SiteError

LOCALHOST = "127.0.0.1"
# One cap for every node kind (VM, application container, compose project): the host ports
# one node instance may publish, checked before anything is created and again on what Docker
# made (``created_policy``).
MAX_PUBLISHED_PORTS = 100
MAX_RANGE = MAX_PUBLISHED_PORTS  # ports published for one range


@dataclass(frozen=True)
class PortRequest:
    container_port: int
    protocol: str = "tcp"
    host_port: int | None = None  # None: a free port

    @property
    def key(self) -> str:
        return f"{self.container_port}/{self.protocol}"


def parse_ports(node: str, where: str, value: Any) -> list[PortRequest]:
    """The ports ``value`` asks for; ``where`` names the property in errors."""
    if value in (None, "", [], {}):
        return []
    if isinstance(value, Mapping) and not _is_port_spec(value):
        items = list(value.values())
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [value]
    ports = [_parse_one(node, where, one) for item in items for one in _ranges(node, where, item)]
    return list({p.key: p for p in ports}.values())


def _ranges(node: str, where: str, item: Any) -> list[Any]:
    """A PortSpec with ``source_range`` (and ``target_range``) as one item per port.
    ``remote_cidr`` needs nothing here: the local site publishes on 127.0.0.1 only."""
    if not isinstance(item, Mapping) or item.get("source_range") in (None, "", []):
        return [item]
    first, last = _range(node, where, item["source_range"])
    targets = item.get("target_range")
    start = _range(node, where, targets)[0] if targets not in (None, "", []) else None
    if last - first + 1 > MAX_RANGE:
        raise SiteError(f"node {node}: {where}: a range of more than {MAX_RANGE} ports")
    rest = {k: v for k, v in item.items() if k not in ("source_range", "target_range")}
    return [
        {**rest, "source": port, "target": None if start is None else start + port - first}
        for port in range(first, last + 1)
    ]


def _range(node: str, where: str, value: Any) -> tuple[int, int]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise SiteError(f"node {node}: {where}: a port range is [first, last], not {value!r}")
    first, last = (_port_number(node, where, v) or 0 for v in value)
    if first > last:
        raise SiteError(f"node {node}: {where}: port range {value!r} ends before it starts")
    return first, last


def _is_port_spec(value: Mapping[str, Any]) -> bool:
    return any(
        k in value for k in ("source", "source_range", "port", "target_port", "container_port")
    )


def _parse_one(node: str, where: str, item: Any) -> PortRequest:
    if isinstance(item, Mapping):
        container = _first(item, "source", "port", "target_port", "container_port")
        host = _first(item, "target", "published", "host_port")
        protocol = str(item.get("protocol") or "tcp").lower()
    elif isinstance(item, int | str) and not isinstance(item, bool):
        text = str(item).strip()
        text, _, protocol = text.partition("/")
        host, _, container = text.rpartition(":")
        address, _, host = host.rpartition(":")
        _check_address(node, where, address)
        protocol = protocol.lower() or "tcp"
        host = host or None
    else:
        raise SiteError(f"node {node}: {where}: {item!r} is not a port")
    if protocol not in ("tcp", "udp", "sctp"):
        raise SiteError(f"node {node}: {where}: protocol {protocol!r} is not tcp, udp or sctp")
    return PortRequest(
        _port_number(node, where, container), protocol, _port_number(node, where, host, True)
    )


def _check_address(node: str, where: str, address: str) -> None:
    """The address of ``ADDRESS:HOST:CONTAINER`` (docker CLI syntax): only 127.0.0.1, the
    one this site publishes on; any other would quietly mean something else."""
    if address and address.strip("[]") not in (LOCALHOST, "localhost"):
        raise SiteError(
            f"node {node}: {where}: this site publishes ports on {LOCALHOST} only, not on "
            f"{address}; write HOST:CONTAINER (e.g. 8080:80) or {LOCALHOST}:HOST:CONTAINER"
        )


def _first(item: Mapping[str, Any], *keys: str) -> Any:
    return next((item[k] for k in keys if item.get(k) not in (None, "")), None)


def _port_number(node: str, where: str, value: Any, optional: bool = False) -> int | None:
    if value in (None, "") and optional:
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if not 1 <= number <= 65535:
        raise SiteError(f"node {node}: {where}: port {value!r} is not a number in 1..65535")
    return number


def port_cap_problem(count: int) -> str | None:
    """Why ``count`` published ports break the cap, or None."""
    if count <= MAX_PUBLISHED_PORTS:
        return None
    return (
        f"{count} host ports asked for, more than the {MAX_PUBLISHED_PORTS} ports one node "
        "may publish (port cap)"
    )


def check_port_count(node: str, where: str, count: int) -> None:
    """Refuse a node that would publish more host ports than ``MAX_PUBLISHED_PORTS``."""
    problem = port_cap_problem(count)
    if problem:
        raise SiteError(f"node {node}: {where}: {problem}")


def port_bindings(ports: list[PortRequest]) -> dict[str, tuple[str, int | None]]:
    """The ``ports`` argument of ``containers.create``."""
    return {p.key: (LOCALHOST, p.host_port) for p in ports}


def pin_free_ports(ports: list[PortRequest]) -> list[PortRequest]:
    """``ports`` with each one left to the engine given a host port that is free now.

    Docker picks a new free port at every start for a port published without one, but
    keeps a port it was given: pinned, a node's endpoints stay where its outputs and its
    configuration put them across stop and start (a hub's OIDC redirect URI names its
    port), as a cloud's floating IP stays. SCTP ports are left to the engine.
    """
    kinds = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}
    pinned = []
    for p in ports:
        if p.host_port is None and p.protocol in kinds:
            with socket.socket(socket.AF_INET, kinds[p.protocol]) as probe:
                probe.bind((LOCALHOST, 0))
                p = replace(p, host_port=probe.getsockname()[1])
        pinned.append(p)
    return pinned


def published_ports(container_attrs: Mapping[str, Any]) -> dict[str, int]:
    """Container port/proto -> host port on 127.0.0.1, as the engine bound them."""
    bound = (container_attrs.get("NetworkSettings") or {}).get("Ports") or {}
    result: dict[str, int] = {}
    for key, bindings in bound.items():
        for binding in bindings or []:
            if binding.get("HostIp") in (LOCALHOST, "", "0.0.0.0") and binding.get("HostPort"):
                result[key] = int(binding["HostPort"])
                break
    return result


def private_addresses(container_attrs: Mapping[str, Any]) -> list[str]:
    """The container's addresses on its networks (informational; never dialled)."""
    networks = (container_attrs.get("NetworkSettings") or {}).get("Networks") or {}
    return [n["IPAddress"] for n in networks.values() if n.get("IPAddress")]

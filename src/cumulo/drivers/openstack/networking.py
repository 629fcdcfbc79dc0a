"""The networking of a server: its port on the site's private network, the
deployment's security group, and a floating IP from the site's pool.

The security group is the deployment's (one per deployment, named
``cumulo-<deployment>``): SSH (22/tcp) and the ports of every Compute's
``endpoint`` capability, INDIGO's PortSpec (``protocol``, ``source`` or
``source_range``, ``remote_cidr``; 0.0.0.0/0 when absent). The port is made by
cumulo (tagged, with the group) rather than by Nova, so a floating IP can be
associated before the server boots and delete finds it by its tags.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openstack.connection import Connection

from cumulo.drivers.base import NodeRequest
from cumulo.drivers.openstack import tags
from cumulo.drivers.shared_objects import making
from cumulo.errors import SiteError

ANYWHERE = "0.0.0.0/0"
PROTOCOLS = ("tcp", "udp", "icmp")
MAX_RULES = 100  # rules one node may ask for


@dataclass(frozen=True, order=True)
class Rule:
    protocol: str
    port_min: int | None
    port_max: int | None
    cidr: str = ANYWHERE

    def text(self) -> str:
        ports = "" if self.port_min is None else f" {self.port_min}"
        if self.port_max != self.port_min:
            ports += f"-{self.port_max}"
        return f"{self.protocol}{ports} from {self.cidr}"


def wants_public_ip(request: NodeRequest) -> bool:
    endpoint = request.capabilities.get("endpoint") or {}
    return str(endpoint.get("network_name") or "").upper() == "PUBLIC"


def rules_of(request: NodeRequest) -> list[Rule]:
    """SSH, then the endpoint's ports, as security group rules."""
    where = "capabilities.endpoint.ports"
    endpoint = request.capabilities.get("endpoint") or {}
    value = endpoint.get("ports")
    if isinstance(value, Mapping) and not any(k in value for k in ("source", "source_range")):
        items = list(value.values())
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [] if value in (None, "", {}) else [value]
    if endpoint.get("port") not in (None, ""):  # a normative endpoint's single port
        items.append({"source": endpoint["port"], "protocol": endpoint.get("protocol") or "tcp"})
    found = [Rule("tcp", 22, 22)] + [_rule(request.node, where, item) for item in items]
    if len(found) > MAX_RULES:
        raise SiteError(f"node {request.node}: {where}: more than {MAX_RULES} port rules")
    return list(dict.fromkeys(found))


def _rule(node: str, where: str, item: Any) -> Rule:
    if isinstance(item, Mapping):
        protocol = str(item.get("protocol") or "tcp").lower()
        cidr = _cidr(node, where, item.get("remote_cidr"))
        if item.get("source_range") not in (None, "", []):
            first, last = _range(node, where, item["source_range"])
        else:
            first = last = _port(node, where, item.get("source", item.get("port")), protocol)
    elif isinstance(item, int | str) and not isinstance(item, bool):
        text, _, protocol = str(item).strip().partition("/")
        protocol = protocol.lower() or "tcp"
        first = last = _port(node, where, text.rpartition(":")[2], protocol)
        cidr = ANYWHERE
    else:
        raise SiteError(f"node {node}: {where}: {item!r} is not a port")
    if protocol not in PROTOCOLS:
        raise SiteError(f"node {node}: {where}: protocol {protocol!r} is not tcp, udp or icmp")
    if protocol == "icmp":
        return Rule("icmp", None, None, cidr)
    return Rule(protocol, first, last, cidr)


def _port(node: str, where: str, value: Any, protocol: str) -> int | None:
    if protocol == "icmp" and value in (None, ""):
        return None
    try:
        port = int(str(value))
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise SiteError(f"node {node}: {where}: {value!r} is not a port number (1-65535)")
    return port


def _range(node: str, where: str, value: Any) -> tuple[int, int]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise SiteError(f"node {node}: {where}: a port range is [first, last], not {value!r}")
    first, last = (_port(node, where, v, "tcp") or 0 for v in value)
    if first > last:
        raise SiteError(f"node {node}: {where}: port range {value!r} ends before it starts")
    return first, last


def _cidr(node: str, where: str, value: Any) -> str:
    if value in (None, ""):
        return ANYWHERE
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=False))
    except ValueError:
        raise SiteError(f"node {node}: {where}: remote_cidr {value!r} is not a CIDR") from None


# -- on the cloud -------------------------------------------------------------


def network_id(conn: Connection, site: str, name: str, what: str) -> str:
    found = conn.network.find_network(name)
    if found is None:
        raise SiteError(f"site {site}: options.{what}: no network {name!r} on the cloud")
    return str(found.id)


def ensure_security_group(conn: Connection, deployment_id: str, rules: list[Rule]) -> str:
    """The deployment's security group (made once), with every rule of ``rules``."""
    with making(("security-group", deployment_id)):
        return _security_group(conn, deployment_id, rules)


def _security_group(conn: Connection, deployment_id: str, rules: list[Rule]) -> str:
    tag, name = tags.deployment_tag(deployment_id), tags.deployment_object_name(deployment_id)
    group = next(iter(conn.network.security_groups(tags=tag)), None)
    if group is None:  # made but not tagged yet (a crash in between), or not made
        group = next(iter(conn.network.security_groups(name=name)), None) or (
            conn.network.create_security_group(
                name=name, description=f"cumulo deployment {deployment_id}"
            )
        )
        tagged(conn, group, [tag])
    have = {
        Rule(r["protocol"], r["port_range_min"], r["port_range_max"], r["remote_ip_prefix"])
        for r in group.security_group_rules or []
        if r.get("direction") == "ingress" and r.get("ethertype") == "IPv4" and r.get("protocol")
    }
    for rule in rules:
        if rule not in have:
            conn.network.create_security_group_rule(
                security_group_id=group.id,
                direction="ingress",
                ethertype="IPv4",
                protocol=rule.protocol,
                port_range_min=rule.port_min,
                port_range_max=rule.port_max,
                remote_ip_prefix=rule.cidr,
            )
    return str(group.id)


def find_port(conn: Connection, instance_tag: str) -> Any:
    return next(iter(conn.network.ports(tags=instance_tag)), None)


def ensure_port(conn: Connection, request: NodeRequest, network: str, group_id: str) -> Any:
    """The node instance's port on the private network, with the deployment's group."""
    found = find_port(conn, tags.request_tags(request)[1])
    if found is not None:
        return found
    name = tags.object_name(request)
    port = next(iter(conn.network.ports(name=name, network_id=network)), None)
    if port is None:
        port = conn.network.create_port(
            network_id=network, name=name, security_group_ids=[group_id]
        )
    return tagged(conn, port, tags.request_tags(request))


def ensure_floating_ip(conn: Connection, request_tags: list[str], pool: str, port_id: str) -> Any:
    """The floating IP of the port (tagged like its server), made once."""
    found = next(iter(conn.network.ips(tags=request_tags[1])), None)
    if found is not None:
        return found
    fip = next(iter(conn.network.ips(port_id=port_id)), None) or conn.network.create_ip(
        floating_network_id=pool, port_id=port_id
    )
    return tagged(conn, fip, request_tags)


def tagged(conn: Connection, obj: Any, tag_list: list[str]) -> Any:
    """Neutron takes no tags when an object is made: they are set right after (a crash in
    between leaves an untagged object that the next ``create`` finds by name or port)."""
    if set(tag_list) - set(obj.tags or []):
        conn.network.set_tags(obj, sorted(set(obj.tags or []) | set(tag_list)))
        obj.tags = sorted(set(obj.tags or []) | set(tag_list))
    return obj


def fixed_addresses(port: Any) -> list[str]:
    return [ip["ip_address"] for ip in port.fixed_ips or [] if ip.get("ip_address")]

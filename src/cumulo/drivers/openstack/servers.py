"""Compute nodes as Nova servers: what to ask for, how to find one again, its attributes."""

from __future__ import annotations

from typing import Any

from openstack.connection import Connection

from cumulo.drivers.base import NodeRequest
from cumulo.drivers.node_accounts import accounts, os_users_attribute
from cumulo.drivers.openstack import tags
from cumulo.drivers.openstack.networking import Rule

COMPUTE_TYPES = frozenset({"tosca.nodes.Compute", "tosca.nodes.indigo.Compute"})


def is_compute(request: NodeRequest) -> bool:
    return any(t in COMPUTE_TYPES for t in request.types)


def find_server(conn: Connection, request: NodeRequest) -> Any:
    return next(iter(conn.compute.servers(tags=tags.request_tags(request)[1])), None)


def deployment_servers(conn: Connection, deployment_id: str) -> list[Any]:
    return list(conn.compute.servers(tags=tags.deployment_tag(deployment_id)))


def server_attributes(
    request: NodeRequest,
    server: Any,
    private: list[str],
    floating: str | None,
    rules: list[Rule],
    mounts: dict[str, str],
) -> dict[str, Any]:
    """Runtime attributes, as the local site gives them (``public_address`` lists...)."""
    entries = accounts(request)
    owner_keys = entries[0][2]
    credential: dict[str, Any] = {"user": request.ssh_user, "token_type": "private_key"}
    if owner_keys:
        credential["public_key"] = owner_keys[0]
    ports = {
        f"{r.port_min}/{r.protocol}": r.port_min
        for r in rules
        if r.port_min is not None and r.port_min == r.port_max
    }
    flavor = server.flavor or {}
    return {
        "public_address": [floating] if floating else list(private),
        "private_address": list(private),
        "ssh_port": 22,
        "ssh_account": request.ssh_user,
        "ports": ports,
        "endpoint": {"credential": [credential], "ports": ports},
        "os_users": os_users_attribute(entries),
        "volumes": dict(mounts),
        "server_id": server.id,
        "flavor": flavor.get("original_name") or flavor.get("name") or flavor.get("id"),
        "image": (server.image or {}).get("id"),
        "security_rules": [r.text() for r in rules],
    }

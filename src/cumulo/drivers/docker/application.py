"""Docker application nodes as containers: dockerRun and Container.Application.Docker.

``tosca.nodes.indigo.dockerRun`` carries docker_image, docker_tag,
docker_command, docker_ports and environment_variables; the normative
``tosca.nodes.Container.Application.Docker`` names its image in an artifact
(``tosca.artifacts.Deployment.Image.Container.Docker``) and INDIGO's subtype
adds command and environment_variables.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from cumulo.drivers.base import NodeRequest
from cumulo.drivers.docker import labels as lbl
from cumulo.drivers.docker.limits import host_limits
from cumulo.drivers.docker.ports import (
    LOCALHOST,
    PortRequest,
    check_port_count,
    parse_ports,
    private_addresses,
    published_ports,
)
from cumulo.drivers.docker.spec import APPLICATION, ContainerSpec
from cumulo.errors import SiteError
from cumulo.federation.images import container_image

PORT_PROPERTIES = ("docker_ports", "ports", "publish_ports")


def image_reference(request: NodeRequest) -> str:
    image = container_image(request.properties, request.artifacts)
    if image is None:
        raise SiteError(
            f"node {request.node}: no container image given "
            "(property docker_image, or an image artifact)"
        )
    return image


def command(request: NodeRequest) -> list[str] | None:
    value = request.properties.get("docker_command") or request.properties.get("command")
    if value in (None, "", []):
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        return shlex.split(str(value))
    except ValueError as exc:
        raise SiteError(f"node {request.node}: properties.docker_command: {exc}") from None


def environment(request: NodeRequest) -> dict[str, str]:
    """The container's environment: the node's variables, the engine's, HOST_PUBLIC_IP."""
    env: dict[str, str] = {}
    for name in ("environment_variables", "environment"):
        env.update(_env_entries(request.node, name, request.properties.get(name)))
    env.update(request.environment)
    env["HOST_PUBLIC_IP"] = LOCALHOST
    return env


def _env_entries(node: str, where: str, value: Any) -> dict[str, str]:
    """A map, a list of one-entry maps (the dashboard's Key/Value rows), or "K=V" strings."""
    if value in (None, "", [], {}):
        return {}
    items: list[tuple[Any, Any]] = []
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list):
        for entry in value:
            if isinstance(entry, Mapping):
                items.extend(entry.items())
            elif isinstance(entry, str) and "=" in entry:
                items.append(tuple(entry.split("=", 1)))
            else:
                raise SiteError(f"node {node}: properties.{where}: {entry!r} is not KEY=VALUE")
    else:
        raise SiteError(f"node {node}: properties.{where} must be a map of variables")
    return {str(k): _env_value(v) for k, v in items}


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def ports(request: NodeRequest) -> list[PortRequest]:
    found: list[PortRequest] = []
    for name in PORT_PROPERTIES:
        found += parse_ports(request.node, f"properties.{name}", request.properties.get(name))
    host = request.capabilities.get("host") or {}
    found += parse_ports(request.node, "capabilities.host.publish_ports", host.get("publish_ports"))
    endpoint = request.capabilities.get("endpoint") or {}
    found += parse_ports(request.node, "capabilities.endpoint.ports", endpoint.get("ports"))
    unique = list({p.key: p for p in found}.values())
    check_port_count(request.node, "ports", len(unique))
    return unique


def application_spec(request: NodeRequest) -> ContainerSpec:
    return ContainerSpec(
        kind=APPLICATION,
        image=image_reference(request),
        command=command(request),
        environment=environment(request),
        ports=ports(request),
        limits=host_limits(request.node, request.capabilities),
        labels={lbl.KIND: APPLICATION},
    )


def application_attributes(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Runtime attributes of an application container, from its inspect data alone."""
    bound = published_ports(attrs)
    endpoints = [
        f"http://{LOCALHOST}:{host_port}"
        for key, host_port in sorted(bound.items(), key=lambda kv: int(kv[0].split("/")[0]))
        if key.endswith("/tcp")
    ]
    return {
        "public_address": [LOCALHOST],
        "private_address": private_addresses(attrs),
        "ports": bound,
        "endpoints": endpoints,
        "endpoint": {"ports": bound},
    }

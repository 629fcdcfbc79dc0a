"""The second line: what Docker actually created, checked before it starts.

Every container of every Docker node kind (VM-like containers, application
containers, the containers of a compose project) is inspected after it is
created and before it starts, and checked against the site's policy,
whatever the checks upstream said: a bug there must still be caught here.
``violations`` is pure, over inspect data; ``check_created`` gathers that data
from the engine and raises ``SiteError`` naming each rule broken.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors

from cumulo.drivers.docker import labels as lbl
from cumulo.drivers.docker.compose_policy import ComposePolicy
from cumulo.drivers.docker.ports import LOCALHOST, MAX_PUBLISHED_PORTS
from cumulo.errors import SiteError

PROJECT_LABEL = "com.docker.compose.project"
NAMESPACE_MODES = ("NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode")
PRIVATE_MODES = {"", "default", "private", "shareable", "none"}
# Options the engine merges in from its own defaults (daemon.json log-opts); none of them
# sends the logs anywhere, unlike a driver's address options.
ENGINE_LOG_OPTIONS = frozenset(
    [
        "max-size",
        "max-file",
        "compress",
        "mode",
        "max-buffer-size",
        "tag",
        "labels",
        "labels-regex",
        "env",
        "env-regex",
    ]
)
# compose keys an admin may allow (``extra_service_keys``) -> the HostConfig fields they set
EXTRA_KEY_RULES = {
    "cap_add": {"CapAdd"},
    "devices": {"Devices", "DeviceRequests"},
    "security_opt": {"SecurityOpt"},
    "volumes_from": {"VolumesFrom"},
}
ALLOWED_SECURITY_OPT = {"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"}


@dataclass(frozen=True)
class SiteRules:
    """The site's side: what any container of it may carry."""

    log_driver: str
    log_options: frozenset[str]
    bind_roots: tuple[str, ...] = ()  # real paths; binds read-only under these only
    engine_root: str = "/var/lib/docker"  # where volumes live: never a bind source
    cgroupns_default: str = "private"  # the engine's own (host on cgroup v1 engines)
    max_ports: int = MAX_PUBLISHED_PORTS
    relaxed: frozenset[str] = frozenset()  # rules the admin relaxed (``relaxations``)


@dataclass(frozen=True)
class Scope:
    """The deployment's side: what its containers may share."""

    deployment: str
    project: str | None = None  # a compose project: its networks and volumes are its own
    shared_networks: frozenset[str] = frozenset()  # e.g. the engine's bridge for VMs
    containers: frozenset[str] = frozenset()  # ids and names of the same project or node


def violations(
    attrs: Mapping[str, Any],
    scope: Scope,
    rules: SiteRules,
    networks: Mapping[str, Mapping[str, Any] | None],
    volumes: Mapping[str, Mapping[str, Any] | None],
) -> list[str]:
    """The rules ``attrs`` (a container's inspect) breaks; ``networks`` and ``volumes``
    are the inspect data (None: not found) of the networks and volumes it uses."""
    host = attrs.get("HostConfig") or {}
    relaxed = rules.relaxed
    broken = []
    if host.get("Privileged") and "privileged" not in relaxed:
        broken.append("Privileged is set (privileged containers are not allowed)")
    for key in NAMESPACE_MODES:
        mode = str(host.get(key) or "")
        if "namespaces" not in relaxed and not _own_namespace(key, mode, scope, rules):
            broken.append(f"{key} is {mode!r} (only the container's own namespaces)")
    for key in ("CapAdd", "Devices", "DeviceRequests", "VolumesFrom"):
        if host.get(key) and key not in relaxed:
            broken.append(f"{key} is {host[key]!r} (not allowed)")
    # a privileged container also gets label=disable from the engine
    opts_relaxed = "SecurityOpt" in relaxed or (host.get("Privileged") and "privileged" in relaxed)
    for opt in host.get("SecurityOpt") or []:
        if opt not in ALLOWED_SECURITY_OPT and not opts_relaxed:
            broken.append(f"SecurityOpt {opt!r} is not allowed")
    broken += _mount_violations(attrs, scope, rules, volumes)
    for name in (attrs.get("NetworkSettings") or {}).get("Networks") or {}:
        shared = name in scope.shared_networks or "external" in relaxed
        if not _own(networks.get(name), scope) and not shared:
            broken.append(f"network {name!r} is not one of this deployment's")
    log = host.get("LogConfig") or {}
    if log.get("Type") != rules.log_driver:
        broken.append(f"logging driver {log.get('Type')!r} is not the site's ({rules.log_driver})")
    extra = sorted(set(log.get("Config") or {}) - rules.log_options - ENGINE_LOG_OPTIONS)
    if extra:
        broken.append(f"logging options {extra} are not allowed")
    broken += _port_violations(host, rules)
    return broken


def _own_namespace(key: str, mode: str, scope: Scope, rules: SiteRules) -> bool:
    if key == "CgroupnsMode" and mode == rules.cgroupns_default:
        return True
    if key == "NetworkMode" and mode in scope.shared_networks:
        return True
    if mode.startswith("container:"):
        return mode.removeprefix("container:") in scope.containers
    if key == "NetworkMode" and mode not in ("host", "bridge"):
        return True  # a user-defined network, checked with the networks below
    return mode in PRIVATE_MODES


def _own(found: Mapping[str, Any] | None, scope: Scope) -> bool:
    """Whether a network or volume (inspect data) belongs to this deployment or project."""
    labels = (found or {}).get("Labels") or {}
    if scope.project and labels.get(PROJECT_LABEL) == scope.project:
        return True
    return bool(found) and labels.get(lbl.DEPLOYMENT) == scope.deployment


def _anonymous(found: Mapping[str, Any] | None, scope: Scope) -> bool:
    """An unlabelled volume the engine made for an image's VOLUME, used by these containers
    only (``UsedBy`` is added by ``check_created``)."""
    if found is None or found.get("Labels"):
        return False
    return set(found.get("UsedBy") or ()) <= scope.containers


def _mount_violations(
    attrs: Mapping[str, Any],
    scope: Scope,
    rules: SiteRules,
    volumes: Mapping[str, Mapping[str, Any] | None],
) -> list[str]:
    broken = []
    for mount in attrs.get("Mounts") or []:
        kind, source = mount.get("Type"), str(mount.get("Source") or "")
        if kind == "bind":
            real = Path(os.path.realpath(source))
            inside = any(real == Path(r) or real.is_relative_to(r) for r in rules.bind_roots)
            socket = "docker_socket" in rules.relaxed and real.name == "docker.sock"
            if (not inside or real.is_relative_to(rules.engine_root)) and not socket:
                broken.append(f"bind mount of {source} is outside the site's host path roots")
            elif mount.get("RW") or mount.get("Propagation") not in ("", "rprivate", None):
                broken.append(f"bind mount of {source} must be read-only and private")
        elif kind == "volume":
            name = str(mount.get("Name") or "")
            found = volumes.get(name)
            shared = "external" in rules.relaxed
            if not _own(found, scope) and not _anonymous(found, scope) and not shared:
                broken.append(f"volume {name!r} is not one of this deployment's")
        elif kind != "tmpfs":
            broken.append(f"mount of type {kind!r} is not allowed")
    return broken


def _port_violations(host: Mapping[str, Any], rules: SiteRules) -> list[str]:
    bindings = [b for bound in (host.get("PortBindings") or {}).values() for b in bound or []]
    broken = [
        f"port {b.get('HostPort')} is published on {b.get('HostIp') or 'every address'}, "
        f"not {LOCALHOST}"
        for b in bindings
        if b.get("HostIp") != LOCALHOST
    ]
    if len(bindings) > rules.max_ports:
        broken.append(f"{len(bindings)} host ports published, more than {rules.max_ports}")
    return broken


def relaxations(policy: ComposePolicy) -> frozenset[str]:
    """The rules an admin's relaxed compose policy lets through here too: what the site
    allows on purpose is not a bug to catch."""
    flags = {
        "privileged": policy.allow_privileged,
        "namespaces": policy.allow_host_namespaces,
        "external": policy.allow_external,
        "docker_socket": policy.allow_docker_socket,
    }
    found = {name for name, on in flags.items() if on}
    for key in policy.extra_service_keys:
        found |= EXTRA_KEY_RULES.get(key, set())
    return frozenset(found)


def site_rules(client: Any, policy: ComposePolicy) -> SiteRules:
    """The rules of a site from its compose policy and its engine's facts."""
    info = client.info()
    return SiteRules(
        log_driver=policy.logging_driver or info.get("LoggingDriver") or "json-file",
        log_options=frozenset(policy.logging_options),
        bind_roots=tuple(os.path.realpath(r) for r in policy.host_path_roots),
        engine_root=os.path.realpath(info.get("DockerRootDir") or "/var/lib/docker"),
        cgroupns_default="host" if str(info.get("CgroupVersion")) == "1" else "private",
        relaxed=relaxations(policy),
    )


def check_created(
    client: Any, node: str, site: str, container_ids: Iterable[str], scope: Scope, rules: SiteRules
) -> None:
    """Inspect each container and raise ``SiteError`` with every rule the first bad one breaks."""
    for cid in container_ids:
        attrs = client.api.inspect_container(cid)
        used = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
        networks = {name: _inspect(client.api.inspect_network, name) for name in used}
        names = [m.get("Name") for m in attrs.get("Mounts") or [] if m.get("Type") == "volume"]
        volumes = {n: _volume(client, n) for n in names if n}
        broken = violations(attrs, scope, rules, networks, volumes)
        if broken:
            name = str(attrs.get("Name") or cid).lstrip("/")
            raise SiteError(
                f"node {node}: the container {name} Docker created breaks the policy of site "
                f"{site}: {'; '.join(broken)}; nothing was started and everything made was removed"
            )


def _volume(client: Any, name: str) -> Mapping[str, Any] | None:
    found = _inspect(client.api.inspect_volume, name)
    if found is None:
        return None
    users = client.api.containers(all=True, filters={"volume": name})
    return {**found, "UsedBy": [c["Id"] for c in users]}


def _inspect(call: Any, name: str) -> Mapping[str, Any] | None:
    try:
        return call(name)
    except docker.errors.NotFound:
        return None

"""The site policy for compose files: what a user's compose project may ask for.

Safe by default: a service may only use the keys in ``SERVICE_KEYS`` (image,
command, environment, ports, volumes, ...); privileged mode, the host's
namespaces, added capabilities, devices, the Docker socket, host bind mounts
(``compose_mounts``), image builds, images missing from the site, volumes and
networks outside the deployment (``compose_scope``), logging drivers other than
the site's are refused, each with a message naming the service and the key. A
site relaxes it with its ``compose_policy`` option (``ComposePolicy.from_options``).

``check`` also rewrites what the site imposes: every published port is bound
to 127.0.0.1 and counted against the port cap (``compose_ports``), the
environment holds no pass-through from compose's own process, and every
service, volume and network carries the deployment's labels. What Docker then
creates is checked again before it starts (``created_policy``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from cumulo.drivers.docker.compose_env import container_environment
from cumulo.drivers.docker.compose_mounts import env_files, real_roots, service_mounts
from cumulo.drivers.docker.compose_ports import local_ports, port_count
from cumulo.drivers.docker.compose_refusal import Refusal, as_map
from cumulo.drivers.docker.compose_scope import (
    network_mode,
    scoped_definitions,
    service_networks,
    user_labels,
)
from cumulo.drivers.docker.ports import port_cap_problem
from cumulo.errors import SiteError

SERVICE_KEYS = frozenset(
    """image command entrypoint environment env_file ports expose volumes depends_on restart
    labels healthcheck working_dir user hostname domainname networks network_mode stop_signal
    stop_grace_period tty stdin_open mem_limit mem_reservation cpus cpu_shares ulimits shm_size
    logging extra_hosts init read_only tmpfs platform deploy""".split()  # noqa: SIM905
)
TOP_KEYS = frozenset({"version", "services", "volumes", "networks"})
NAMESPACE_KEYS = ("pid", "ipc", "uts", "userns_mode", "cgroup")
PRIVATE_NAMESPACES = {"", "private", "shareable"}
DEPLOY_RESOURCES = frozenset({"cpus", "memory"})


@dataclass(frozen=True)
class ComposePolicy:
    extra_service_keys: frozenset[str] = frozenset()  # allowed besides SERVICE_KEYS
    allow_privileged: bool = False
    allow_host_namespaces: bool = False  # network_mode/pid/ipc...: host, container:..., bridge
    allow_docker_socket: bool = False
    host_path_roots: tuple[str, ...] = ()  # read-only bind mounts allowed under these
    allow_build: bool = False
    allow_external: bool = False  # volumes and networks named outside the deployment
    require_local_images: bool = True
    logging_driver: str = ""  # the one logging driver; "" is the engine's default
    logging_options: tuple[str, ...] = ("max-size", "max-file")
    max_file_bytes: int = 256 * 1024
    fetch_timeout_seconds: float = 10.0
    file_url_roots: tuple[str, ...] = ()  # file: URLs allowed under these only

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None) -> ComposePolicy:
        """The policy of a site's ``compose_policy`` option (unknown keys refused)."""
        given = dict(options or {})
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(given) - names)
        if unknown:
            raise SiteError(f"site option compose_policy: unknown keys {unknown}")
        for key in ("extra_service_keys",):
            if key in given:
                given[key] = frozenset(given[key])
        for key in ("host_path_roots", "file_url_roots", "logging_options"):
            if key in given:
                given[key] = tuple(str(p) for p in given[key])
        return cls(**given)


@dataclass(frozen=True)
class ComposeContext:
    """What ``check`` needs besides the file: who asks, and the site's facts."""

    node: str
    site: str
    project_dir: Path  # compose's working folder, where relative paths point
    labels: Mapping[str, str]  # the deployment's labels, put on everything made
    image_exists: Callable[[str], bool]
    log_driver: str  # the site's logging driver
    env: Mapping[str, str]  # the user's variables (already substituted into the file)


def check(doc: Any, policy: ComposePolicy, ctx: ComposeContext) -> dict[str, Any]:
    """The compose document as it will run, or ``SiteError`` saying what is refused."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("services"), Mapping):
        raise SiteError(f"node {ctx.node}: compose file: it has no services map")
    refuse = Refusal(ctx.node, ctx.site)
    for key in doc:
        if key == "name":
            refuse("name", "the project is named by cumulo, one per deployment")
        if key not in TOP_KEYS and not str(key).startswith("x-"):
            refuse(str(key), "is not an allowed top-level key")
    result = {k: v for k, v in doc.items() if k != "version"}
    for kind in ("volumes", "networks"):
        if kind in doc:
            result[kind] = scoped_definitions(
                refuse, kind, doc[kind], ctx.labels, policy.allow_external
            )
    scope = _Scope(
        set(result.get("volumes") or {}),
        set(result.get("networks") or {}),
        {str(s) for s in doc["services"]},
    )
    services = {}
    for name, service in doc["services"].items():
        if not isinstance(service, Mapping):
            refuse(f"services.{name}", "is not a map")
        services[name] = _service(refuse, f"services.{name}", dict(service), policy, ctx, scope)
    too_many = port_cap_problem(sum(port_count(s["ports"]) for s in services.values()))
    if too_many:
        refuse("ports of all services", too_many)
    return {**result, "services": services}


@dataclass(frozen=True)
class _Scope:
    volumes: set[str]
    networks: set[str]
    services: set[str]


def _service(
    refuse: Refusal,
    where: str,
    service: dict[str, Any],
    policy: ComposePolicy,
    ctx: ComposeContext,
    scope: _Scope,
) -> dict[str, Any]:
    if service.get("privileged") and not policy.allow_privileged:
        refuse(f"{where}.privileged", "privileged containers are not allowed")
    if not policy.allow_host_namespaces:
        _namespaces(refuse, where, service, scope.services)
    if "build" in service and not policy.allow_build:
        refuse(f"{where}.build", "building images is not allowed: use an image of the site")
    allowed = SERVICE_KEYS | policy.extra_service_keys
    for key in service:
        if key not in allowed and not str(key).startswith("x-"):
            refuse(f"{where}.{key}", f"the key {key!r} is not allowed")
    image = service.get("image")
    if not isinstance(image, str) or not image:
        refuse(f"{where}.image", "every service needs an image")
    if policy.require_local_images and not ctx.image_exists(_tagged(image)):
        refuse(f"{where}.image", f"image {image} does not exist on the site (nothing is pulled)")
    roots = real_roots(policy.host_path_roots)
    socket = policy.allow_docker_socket
    result = dict(service)
    if "volumes" in service:
        result["volumes"] = service_mounts(
            refuse,
            f"{where}.volumes",
            service["volumes"],
            scope.volumes,
            ctx.project_dir,
            roots,
            socket,
        )
    if "env_file" in service:
        result["env_file"] = env_files(
            refuse, f"{where}.env_file", service["env_file"], ctx.project_dir, roots
        )
    if "environment" in service:
        result["environment"] = container_environment(
            ctx.node, f"{where}.environment", service["environment"], ctx.env
        )
    if "networks" in service:
        service_networks(refuse, f"{where}.networks", service["networks"], scope.networks)
    if "deploy" in service:
        _deploy(refuse, f"{where}.deploy", service["deploy"])
    result["ports"] = local_ports(refuse, f"{where}.ports", service.get("ports"))
    own = user_labels(refuse, f"{where}.labels", service.get("labels"))
    result["labels"] = {**own, **ctx.labels}
    result["logging"] = _logging(
        refuse, f"{where}.logging", service.get("logging"), ctx.log_driver, policy.logging_options
    )
    return result


def _namespaces(refuse: Refusal, where: str, service: Mapping[str, Any], own: set[str]) -> None:
    """Namespaces are the container's own, or shared with a service of this file only."""
    if "network_mode" in service:
        network_mode(refuse, f"{where}.network_mode", service["network_mode"], own)
    for key in NAMESPACE_KEYS:
        if key not in service:
            continue
        value = str(service[key] or "")
        if value not in PRIVATE_NAMESPACES and value.removeprefix("service:") not in own:
            refuse(
                f"{where}.{key}",
                f"{key}: {value} (the host's or another container's namespaces) is not allowed",
            )


def _deploy(refuse: Refusal, where: str, deploy: Any) -> None:
    """Only CPU and memory resources: ``reservations.devices`` would hand over host devices."""
    if not isinstance(deploy, Mapping):
        refuse(where, "must be a map")
    for key in deploy:
        if key not in ("resources", "restart_policy"):
            refuse(f"{where}.{key}", f"the key {key!r} is not allowed")
    for kind, spec in as_map(refuse, f"{where}.resources", deploy.get("resources")).items():
        extra = set(as_map(refuse, f"{where}.resources.{kind}", spec)) - DEPLOY_RESOURCES
        if kind not in ("limits", "reservations") or extra:
            refuse(f"{where}.resources.{kind}", f"only cpus and memory are allowed, not {extra}")


def _logging(
    refuse: Refusal, where: str, value: Any, driver: str, options: tuple[str, ...]
) -> dict[str, Any]:
    """The site's logging driver, with at most the allowed options (sizes of the logs)."""
    if value in (None, ""):
        return {"driver": driver}
    if not isinstance(value, Mapping):
        refuse(where, "must be a map")
    asked = value.get("driver") or driver
    if asked != driver:
        refuse(
            f"{where}.driver",
            f"logging driver {asked!r} is not the site's ({driver}): "
            "containers log only where the site logs",
        )
    extra = sorted(set(value) - {"driver", "options"})
    given = as_map(refuse, f"{where}.options", value.get("options"))
    extra += sorted(f"options.{k}" for k in set(given) - set(options))
    if extra:
        refuse(where, f"{', '.join(extra)} not allowed (only options {', '.join(options)})")
    return {"driver": driver, "options": {str(k): str(v) for k, v in given.items()}}


def _tagged(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return image if ":" in last or "@" in last else f"{image}:latest"

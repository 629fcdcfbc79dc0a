"""The site policy for compose files: what a user's compose project may ask for.

Safe by default: a service may only use the keys in ``SERVICE_KEYS`` (image,
command, environment, ports, volumes, ...); privileged mode, the host's
network / PID / IPC namespaces, added capabilities, devices, the Docker
socket, host paths outside the deployment's own folder, image builds, images
missing from the site, external networks and volumes are refused, each with a
message naming the service and the key. A site relaxes it with its
``compose_policy`` option (``ComposePolicy.from_options``).

``check`` also rewrites what the site imposes: every published port is bound
to 127.0.0.1, and every service carries the deployment's labels.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from cumulo.drivers.docker.ports import LOCALHOST
from cumulo.errors import SiteError

SERVICE_KEYS = frozenset(
    """image command entrypoint environment env_file ports expose volumes depends_on restart
    labels healthcheck working_dir user hostname domainname networks stop_signal
    stop_grace_period tty stdin_open mem_limit mem_reservation cpus cpu_shares ulimits shm_size
    logging extra_hosts init read_only tmpfs platform deploy""".split()  # noqa: SIM905
)
TOP_KEYS = frozenset({"version", "services", "volumes", "networks", "name"})
DOCKER_SOCKET = "docker.sock"


@dataclass(frozen=True)
class ComposePolicy:
    extra_service_keys: frozenset[str] = frozenset()  # allowed besides SERVICE_KEYS
    allow_privileged: bool = False
    allow_host_namespaces: bool = False  # network_mode/pid/ipc: host, container:...
    allow_docker_socket: bool = False
    host_path_roots: tuple[str, ...] = ()  # bind mounts allowed under these, too
    allow_build: bool = False
    allow_external: bool = False  # external networks and volumes
    require_local_images: bool = True
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
        for key in ("host_path_roots", "file_url_roots"):
            if key in given:
                given[key] = tuple(str(p) for p in given[key])
        return cls(**given)


def check(
    node: str,
    doc: Any,
    policy: ComposePolicy,
    project_dir: Path,
    labels: Mapping[str, str],
    image_exists: Callable[[str], bool],
    site: str,
) -> dict[str, Any]:
    """The compose document as it will run, or ``SiteError`` saying what is refused."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("services"), Mapping):
        raise SiteError(f"node {node}: compose file: it has no services map")
    refuse = _Refusal(node, site)
    for key in doc:
        if key not in TOP_KEYS and not str(key).startswith("x-"):
            refuse(str(key), "is not an allowed top-level key")
    for kind in ("networks", "volumes"):
        for name, spec in (doc.get(kind) or {}).items():
            where = f"{kind}.{name}"
            if isinstance(spec, Mapping):
                if spec.get("external") and not policy.allow_external:
                    refuse(where, f"external {kind} are not allowed")
                if spec.get("driver_opts") and not policy.allow_external:
                    refuse(where, "driver_opts are not allowed (they can mount host paths)")
    services = {}
    for name, service in doc["services"].items():
        if not isinstance(service, Mapping):
            refuse(f"services.{name}", "is not a map")
        services[name] = _service(refuse, f"services.{name}", dict(service), policy,
                                  project_dir, labels, image_exists)  # fmt: skip
    return {**{k: v for k, v in doc.items() if k != "version"}, "services": services}


class _Refusal:
    def __init__(self, node: str, site: str) -> None:
        self.node, self.site = node, site

    def __call__(self, where: str, why: str) -> None:
        raise SiteError(
            f"node {self.node}: compose file: {where}: {why} by the compose policy "
            f"of site {self.site}"
        )


def _service(
    refuse: _Refusal,
    where: str,
    service: dict[str, Any],
    policy: ComposePolicy,
    project_dir: Path,
    labels: Mapping[str, str],
    image_exists: Callable[[str], bool],
) -> dict[str, Any]:
    if service.get("privileged") and not policy.allow_privileged:
        refuse(f"{where}.privileged", "privileged containers are not allowed")
    for key in ("network_mode", "pid", "ipc", "userns_mode", "uts", "cgroup"):
        value = str(service.get(key) or "")
        if (value == "host" or value.startswith("container:")) and not policy.allow_host_namespaces:
            refuse(f"{where}.{key}", f"{key}: {value} (the host's namespaces) is not allowed")
    if "build" in service and not policy.allow_build:
        refuse(f"{where}.build", "building images is not allowed: use an image of the site")
    allowed = SERVICE_KEYS | policy.extra_service_keys
    for key in service:
        if key not in allowed and not str(key).startswith("x-"):
            refuse(f"{where}.{key}", f"the key {key!r} is not allowed")
    image = service.get("image")
    if not isinstance(image, str) or not image:
        refuse(f"{where}.image", "every service needs an image")
    if policy.require_local_images and not image_exists(_tagged(image)):
        refuse(f"{where}.image", f"image {image} does not exist on the site (nothing is pulled)")
    roots = (project_dir, *(Path(r) for r in policy.host_path_roots))
    for i, volume in enumerate(service.get("volumes") or []):
        _check_mount(refuse, f"{where}.volumes[{i}]", volume, policy, project_dir, roots)
    for i, env_file in enumerate(_as_list(service.get("env_file"))):
        path = env_file.get("path") if isinstance(env_file, Mapping) else env_file
        _check_host_path(refuse, f"{where}.env_file[{i}]", str(path), project_dir, roots)
    result = dict(service)
    result["ports"] = [_local_port(refuse, f"{where}.ports[{i}]", p)
                       for i, p in enumerate(service.get("ports") or [])]  # fmt: skip
    result["labels"] = {**_label_map(service.get("labels")), **labels}
    return result


def _tagged(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return image if ":" in last or "@" in last else f"{image}:latest"


def _as_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, list) else [value]


def _check_mount(
    refuse: _Refusal, where: str, volume: Any, policy: ComposePolicy, project_dir: Path,
    roots: tuple[Path, ...],
) -> None:  # fmt: skip
    if isinstance(volume, Mapping):
        kind, source = volume.get("type", "volume"), str(volume.get("source") or "")
    elif isinstance(volume, str):
        source = volume.split(":", 1)[0] if ":" in volume else ""
        kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
    else:
        refuse(where, "is not a volume")
    if DOCKER_SOCKET in source and not policy.allow_docker_socket:
        refuse(where, "mounting the Docker socket is not allowed")
    if kind == "bind":
        _check_host_path(refuse, where, source, project_dir, roots)
    elif kind not in ("volume", "tmpfs"):
        refuse(where, f"mounts of type {kind!r} are not allowed")


def _check_host_path(
    refuse: _Refusal, where: str, source: str, project_dir: Path, roots: tuple[Path, ...]
) -> None:
    if source.startswith("~"):
        refuse(where, f"host path {source} is outside the deployment's folder")
    path = Path(posixpath.normpath(str(project_dir / source)))  # absolute sources stay absolute
    if not any(path == root or path.is_relative_to(root) for root in roots):
        refuse(where, f"host path {source} is outside the deployment's folder")


def _local_port(refuse: _Refusal, where: str, port: Any) -> str:
    """The port as ``127.0.0.1:[published]:target[/protocol]``."""
    if isinstance(port, Mapping):
        target, published = port.get("target"), port.get("published")
        protocol = port.get("protocol") or "tcp"
    elif isinstance(port, int | str) and not isinstance(port, bool):
        text, _, protocol = str(port).partition("/")
        parts = text.split(":")
        if len(parts) > 3:
            refuse(where, f"{port!r} is not a port")
        target, published = parts[-1], parts[-2] if len(parts) > 1 else ""
        protocol = protocol or "tcp"
    else:
        refuse(where, f"{port!r} is not a port")
    for value in (target, published):
        text = str(value or "").replace("-", "")
        if text and not text.isdigit():
            refuse(where, f"{port!r} is not a port")
    if not target:
        refuse(where, f"{port!r} has no container port")
    if protocol not in ("tcp", "udp", "sctp"):
        refuse(where, f"protocol {protocol!r} is not tcp, udp or sctp")
    return f"{LOCALHOST}:{published or ''}:{target}/{protocol}"


def _label_map(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    result = {}
    for item in value or []:
        key, _, val = str(item).partition("=")
        result[key] = val
    return result

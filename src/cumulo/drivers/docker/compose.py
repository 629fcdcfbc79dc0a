"""DockerCompose nodes as compose projects on the site's engine.

The project is named from the deployment (``cumulo-<deployment>-<node>-<index>``)
and lives in its own folder under the site's work folder, where the checked
compose file is written (``compose_policy.check``: ports on 127.0.0.1, the
deployment's labels on every service). It runs with the compose the machine
has, found once per process: the ``docker compose`` plugin, else Debian's
``docker-compose``. Removal does not call compose: the containers carry the
deployment's labels and the networks and volumes compose made carry the
project's, so a deployment is removed even when its folder is gone.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docker.errors
import yaml

from cumulo.drivers.base import NodeRequest, SiteInfo
from cumulo.drivers.docker import labels as lbl
from cumulo.drivers.docker.compose_env import project_environment, substitute
from cumulo.drivers.docker.compose_policy import ComposePolicy, check
from cumulo.drivers.docker.compose_source import compose_document
from cumulo.drivers.docker.dns import DEFAULT_ZONE, dns_name
from cumulo.drivers.docker.engine_calls import EngineConnection
from cumulo.drivers.docker.ports import LOCALHOST, published_ports
from cumulo.drivers.docker.readiness import wait_application
from cumulo.errors import SiteError

COMPOSE_TYPES = frozenset({"tosca.nodes.indigo.DockerCompose"})
COMPOSE = "compose"
PREFIX = "compose:"
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
FILE_NAME = "docker-compose.yml"
UP_TIMEOUT = 600


@functools.cache
def compose_command() -> tuple[str, ...] | None:
    """The compose of this machine: ``docker compose`` (v2), else ``docker-compose``."""
    for command in (("docker", "compose"), ("docker-compose",)):
        if shutil.which(command[0]) is None:
            continue
        done = subprocess.run([*command, "version"], capture_output=True, timeout=30)
        if done.returncode == 0:
            return command
    return None


def is_compose(request: NodeRequest) -> bool:
    return any(t in COMPOSE_TYPES for t in request.types)


def project_of(physical: str) -> str | None:
    return physical.removeprefix(PREFIX) if physical.startswith(PREFIX) else None


def project_name(request: NodeRequest) -> str:
    raw = f"{request.deployment_id}-{request.node}-{request.index}".lower()
    return "cumulo-" + re.sub(r"[^a-z0-9_-]", "-", raw)


class ComposeProjects:
    """The compose projects of one site."""

    def __init__(self, engine: EngineConnection, site: SiteInfo) -> None:
        self.engine, self.site = engine, site
        self.policy = ComposePolicy.from_options(site.options.get("compose_policy"))
        work = site.options.get("work_dir") or Path.home() / ".cache" / "cumulo" / site.name
        self.folder = Path(work) / "compose"
        self.zone = str(site.options.get("dns_zone") or DEFAULT_ZONE)

    def up(self, request: NodeRequest) -> tuple[str, dict[str, Any]]:
        command = compose_command()
        if command is None:
            raise SiteError(
                f"node {request.node}: site {self.site.name} has no compose "
                "(install the docker compose plugin or Debian's docker-compose)"
            )
        project = project_name(request)
        folder = self.folder / project
        env = project_environment(
            request.node, "properties.environment_variables",
            request.properties.get("environment_variables"), LOCALHOST,
        )  # fmt: skip
        doc = compose_document(request.node, dict(request.properties), self.policy)
        labels = {**lbl.instance_labels(request, self.site.name), lbl.KIND: COMPOSE}
        doc = check(
            request.node, substitute(request.node, doc, env), self.policy, folder, labels,
            self._image_exists, self.site.name,
        )  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        (folder / FILE_NAME).write_text(yaml.safe_dump(doc, sort_keys=False))
        process_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
                       "DOCKER_HOST": self.site.endpoint, **env}  # fmt: skip
        args = [*command, "-p", project, "-f", FILE_NAME, "up", "-d", "--no-build"]
        try:
            done = subprocess.run(args, cwd=folder, env=process_env, capture_output=True,
                                  text=True, timeout=UP_TIMEOUT)  # fmt: skip
        except subprocess.TimeoutExpired:
            self.remove(project)
            raise SiteError(
                f"node {request.node}: compose up did not end in {UP_TIMEOUT} s"
            ) from None
        if done.returncode != 0:
            self.remove(project)
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
            raise SiteError(f"node {request.node}: compose up failed: {tail}")
        return PREFIX + project, self.attributes(project)

    def _image_exists(self, image: str) -> bool:
        try:
            self.engine.client.images.get(image)
        except docker.errors.ImageNotFound:
            return False
        return True

    def containers(self, project: str) -> list[Any]:
        filters = lbl.label_filter({PROJECT_LABEL: project, lbl.SITE: self.site.name})
        return self.engine.client.containers.list(all=True, filters=filters)

    def wait(self, node: str, project: str, deadline: float) -> dict[str, Any]:
        for container in self.containers(project):
            tcp = {int(k.split("/")[0]): p for k, p in published_ports(container.attrs).items()
                   if k.endswith("/tcp")}  # fmt: skip
            wait_application(self.engine.client, container, node, tcp, deadline)
        return self.attributes(project)

    def attributes(self, project: str) -> dict[str, Any]:
        """``ports`` (service -> container port -> host port) and ``endpoints``
        (service, or ``service:port`` when it has several -> URL)."""
        ports: dict[str, dict[str, int]] = {}
        for container in self.containers(project):
            service = container.labels.get(SERVICE_LABEL, container.name)
            ports.setdefault(service, {}).update(published_ports(container.attrs))
        endpoints: dict[str, str] = {}
        by_name: dict[str, str] = {}
        for service, bound in sorted(ports.items()):
            tcp = sorted((int(k.split("/")[0]), p) for k, p in bound.items() if k.endswith("/tcp"))
            for target, host_port in tcp:
                key = service if len(tcp) == 1 else f"{service}:{target}"
                endpoints[key] = f"http://{LOCALHOST}:{host_port}"
                by_name[key] = f"http://{dns_name(service, LOCALHOST, self.zone)}:{host_port}"
        names = {service: dns_name(service, LOCALHOST, self.zone) for service in sorted(ports)}
        return {"public_address": [LOCALHOST], "project": project, "ports": ports,
                "endpoints": endpoints, "dns_endpoints": by_name, "dns_names": names}  # fmt: skip

    def set_running(self, project: str, running: bool) -> None:
        for container in self.containers(project):
            container.start() if running else container.stop(timeout=10)

    def observe(self, project: str) -> str:
        states = {c.status for c in self.containers(project)}
        if not states:
            return "DELETED"
        return "STARTED" if states == {"running"} else "STOPPED"

    def remove(self, project: str) -> None:
        """The project's containers, networks, volumes and folder; gone is success."""
        for container in self.containers(project):
            _quietly(container.remove, force=True, v=True)
        self._remove_made_by(lambda name: name == project)
        shutil.rmtree(self.folder / project, ignore_errors=True)

    def remove_deployment(self, deployment_id: str) -> None:
        """Networks, volumes and folders of the deployment's projects (containers are
        removed by their labels with the deployment's others)."""
        prefix = f"cumulo-{deployment_id.lower()}-"
        self._remove_made_by(lambda name: name.startswith(prefix))
        for folder in self.folder.glob(f"{prefix}*"):
            shutil.rmtree(folder, ignore_errors=True)

    def _remove_made_by(self, matches: Any) -> None:
        client = self.engine.client
        for network in client.networks.list(filters={"label": PROJECT_LABEL}):
            if matches(network.attrs.get("Labels", {}).get(PROJECT_LABEL, "")):
                _quietly(network.remove)
        volumes = (client.api.volumes(filters={"label": PROJECT_LABEL}) or {}).get("Volumes")
        for volume in volumes or []:
            if matches((volume.get("Labels") or {}).get(PROJECT_LABEL, "")):
                _quietly(client.api.remove_volume, volume["Name"], force=True)


def _quietly(call: Any, *args: Any, **kwargs: Any) -> None:
    with contextlib.suppress(docker.errors.NotFound):  # already gone
        call(*args, **kwargs)

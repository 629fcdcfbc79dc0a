"""DockerCompose nodes as compose projects on the site's engine.

The project is named from the deployment (``cumulo-<deployment>-<node>-<index>``).
The user's variables only feed cumulo's own ``${VAR}`` substitution and the
containers' environment; the checked file (``compose_policy.check``) goes to
compose on its standard input and is never written to disk (it may hold a
password), and compose runs with a fixed environment (PATH, HOME, DOCKER_HOST
of the site) and an empty env file of cumulo's, in a 0700 folder of its own.
Compose creates the containers without starting them; what it made is checked
against the site's policy (``created_policy``) and removed if it breaks it, and
only then started. On a site that pulls, with a policy that does not require local
images, missing images are pulled first by cumulo (``site_images``), not compose.
It runs with the compose the machine has, found once per process: the
``docker compose`` plugin, else Debian's ``docker-compose``.
Removal does not call compose: the containers carry the deployment's labels
and the networks and volumes compose made carry the project's, so a
deployment is removed even when its folder is gone.
"""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import yaml

from cumulo.drivers.base import NodeRequest, SiteInfo, Waiting
from cumulo.drivers.docker import labels as lbl
from cumulo.drivers.docker.compose_env import project_environment, redact, substitute
from cumulo.drivers.docker.compose_policy import ComposeContext, ComposePolicy, check
from cumulo.drivers.docker.compose_source import compose_document
from cumulo.drivers.docker.created_policy import Scope, SiteRules, check_created, site_rules
from cumulo.drivers.docker.dns import DEFAULT_ZONE, dns_name
from cumulo.drivers.docker.engine_calls import EngineConnection
from cumulo.drivers.docker.ports import LOCALHOST, published_ports
from cumulo.drivers.docker.readiness import wait_application
from cumulo.drivers.docker.site_images import SiteImages
from cumulo.errors import SiteError

COMPOSE_TYPES = frozenset({"tosca.nodes.indigo.DockerCompose"})
COMPOSE = "compose"
PREFIX = "compose:"
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
EMPTY_ENV_FILE = "empty.env"  # compose reads an env file; this one, never a user's
FIXED_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
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

    def __init__(self, engine: EngineConnection, site: SiteInfo, images: SiteImages) -> None:
        self.engine, self.site, self.images = engine, site, images
        self.policy = ComposePolicy.from_options(site.options.get("compose_policy"))
        work = site.options.get("work_dir") or Path.home() / ".cache" / "cumulo" / site.name
        self.folder = Path(work) / "compose"
        self.zone = str(site.options.get("dns_zone") or DEFAULT_ZONE)
        self._rules: SiteRules | None = None

    def up(self, request: NodeRequest) -> tuple[str, dict[str, Any]] | Waiting:
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
        try:
            doc = self._checked(request, folder, env)
            if self.site.public_images and not self.policy.require_local_images:
                services = self.images.for_services(request.node, doc["services"])
                if isinstance(services, Waiting):
                    return services  # being pulled: nothing made yet
                doc["services"] = services
            text = yaml.safe_dump(doc, sort_keys=False)
        except SiteError as exc:
            raise SiteError(redact(str(exc), env)) from None
        run = _Run(command, project, _private_folder(folder), self.site.endpoint, text, env)
        self._run(request.node, run, "up", "--no-start", "--no-build")
        containers = self.containers(project)
        ids = [c.id for c in containers]
        scope = Scope(request.deployment_id, project, containers=frozenset(ids))
        try:
            check_created(self.engine.client, request.node, self.site.name, ids, scope,
                          self.rules())  # fmt: skip
        except SiteError:
            self.remove(project)
            raise
        self._run(request.node, run, "start")
        return PREFIX + project, self.attributes(project)

    def _checked(self, request: NodeRequest, folder: Path, env: dict[str, str]) -> dict[str, Any]:
        """The node's compose file, substituted, checked and rewritten by the site policy."""
        doc = compose_document(
            request.node, dict(request.properties), self.policy, self.site.egress
        )
        labels = {**lbl.instance_labels(request, self.site.name), lbl.KIND: COMPOSE}
        ctx = ComposeContext(request.node, self.site.name, folder, labels, self.images.has,
                             self.rules().log_driver, env)  # fmt: skip
        return check(substitute(request.node, doc, env), self.policy, ctx)

    def rules(self) -> SiteRules:
        """The site's rules for what Docker creates (its facts are asked once)."""
        if self._rules is None:
            self._rules = site_rules(self.engine.client, self.policy)
        return self._rules

    def _run(self, node: str, run: _Run, *args: str) -> None:
        """One compose command; on failure the project is removed and the error told."""
        try:
            done = subprocess.run(run.args(*args), input=run.text, cwd=run.folder, env=run.env(),
                                  capture_output=True, text=True, timeout=UP_TIMEOUT)  # fmt: skip
        except subprocess.TimeoutExpired:
            self.remove(run.project)
            raise SiteError(
                f"node {node}: compose {args[0]} did not end in {UP_TIMEOUT} s"
            ) from None
        if done.returncode != 0:
            self.remove(run.project)
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
            raise SiteError(redact(f"node {node}: compose {args[0]} failed: {tail}", run.variables))

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


@dataclass(frozen=True)
class _Run:
    """How cumulo runs compose for one project: the checked file on standard input (never
    on disk), an empty env file of its own, a fixed environment with nothing of the user's."""

    command: tuple[str, ...]
    project: str
    folder: Path
    endpoint: str
    text: str
    variables: dict[str, str]  # the user's: only to mask them in errors

    def args(self, *args: str) -> list[str]:
        return [*self.command, "-p", self.project, "--project-directory", str(self.folder),
                "--env-file", str(self.folder / EMPTY_ENV_FILE), "-f", "-", *args]  # fmt: skip

    def env(self) -> dict[str, str]:
        return {"PATH": FIXED_PATH, "HOME": str(self.folder), "LANG": "C.UTF-8",
                "DOCKER_HOST": self.endpoint}  # fmt: skip


def _private_folder(folder: Path) -> Path:
    """Compose's working folder: only cumulo may read it, and it holds one empty file."""
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.parent.chmod(0o700)
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    empty = folder / EMPTY_ENV_FILE
    empty.write_text("")
    empty.chmod(0o600)
    return folder


def _quietly(call: Any, *args: Any, **kwargs: Any) -> None:
    with contextlib.suppress(docker.errors.NotFound):  # already gone
        call(*args, **kwargs)

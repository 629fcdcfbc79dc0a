"""``DockerDriver``: the local site, realizing nodes as containers on a Docker engine.

Compute nodes become VM-like containers (``vm.py``), Docker application nodes
plain containers (``application.py``); both labelled (``labels.py``) so that
``create`` finds what it made before and ``delete_deployment`` removes exactly
one deployment's containers, and both on the deployment's own network
(``networks.py``). What Docker made is checked against the site's policy before
it starts (``created_policy.py``), as for compose projects. Readiness follows
the engine's streams (``readiness.py``). A site that pulls gets a missing image
first, in the background (``site_images.py``): create answers ``Waiting`` meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import docker.errors

from cumulo.drivers.base import NodeRequest, Realized, SiteInfo, Waiting
from cumulo.drivers.docker import labels as lbl
from cumulo.drivers.docker.application import application_attributes, application_spec
from cumulo.drivers.docker.compose import COMPOSE_TYPES, ComposeProjects, is_compose, project_of
from cumulo.drivers.docker.created_policy import Scope, check_created
from cumulo.drivers.docker.dns import dns_name
from cumulo.drivers.docker.engine_calls import (
    EngineConnection,
    explain,
    is_port_taken,
)
from cumulo.drivers.docker.gpus import allowing_gpus, require_gpus
from cumulo.drivers.docker.networks import deployment_network, remove_deployment_networks
from cumulo.drivers.docker.node_events import watch_nodes
from cumulo.drivers.docker.ports import LOCALHOST, pin_free_ports
from cumulo.drivers.docker.readiness import StillWaiting, wait_application, wait_vm
from cumulo.drivers.docker.site_images import SiteImages
from cumulo.drivers.docker.site_mounts import allowing_binds
from cumulo.drivers.docker.spec import APPLICATION, RESTART_POLICY, VM, ContainerSpec
from cumulo.drivers.docker.vm import vm_attributes, vm_spec
from cumulo.drivers.docker.volumes import (
    create_volume,
    remove_deployment_volumes,
    remove_volume,
    volume_of,
)
from cumulo.drivers.storage import STORAGE_TYPES, is_storage
from cumulo.errors import SiteError

COMPUTE_TYPES = frozenset({"tosca.nodes.Compute", "tosca.nodes.indigo.Compute"})
APPLICATION_TYPES = frozenset(
    {
        "tosca.nodes.indigo.dockerRun",
        "tosca.nodes.indigo.DockerRun",
        "tosca.nodes.Container.Application.Docker",
        "tosca.nodes.indigo.Container.Application.Docker",
    }
)

# Tries to create a container whose free host ports were picked by cumulo (``_create_pinned``).
PIN_TRIES = 3


class PortTaken(SiteError):
    """A host port the container publishes is in use on the site's engine."""


class DockerDriver:
    """The Driver protocol (``cumulo.drivers.base``) over one Docker engine."""

    kind = "docker"
    native_types = COMPUTE_TYPES | APPLICATION_TYPES | STORAGE_TYPES | COMPOSE_TYPES

    def __init__(self, site: SiteInfo) -> None:
        self.site = site
        self.engine = EngineConnection(site.name, site.endpoint)
        self.images = SiteImages(self.engine, site)
        self.compose = ComposeProjects(self.engine, site, self.images)

    # -- what we make -------------------------------------------------------

    def realizes(self, request: NodeRequest) -> bool:
        return any(t in self.native_types for t in request.types)

    def _spec(self, request: NodeRequest) -> ContainerSpec:
        if any(t in COMPUTE_TYPES for t in request.types):
            spec = vm_spec(request, self.site)
        elif any(t in APPLICATION_TYPES for t in request.types):
            spec = application_spec(request)
        else:
            raise SiteError(
                f"node {request.node}: site {self.site.name} cannot realize type {request.type}"
            )
        spec.labels.update(lbl.instance_labels(request, self.site.name))
        return spec

    # -- create and wait ----------------------------------------------------

    def create(self, request: NodeRequest) -> Realized | Waiting:
        with self.engine.calls(f"node {request.node}"):
            if is_storage(request):
                return Realized(*create_volume(self.engine.client, request, self.site.name))
            if is_compose(request):
                made = self.compose.up(request)
                return made if isinstance(made, Waiting) else Realized(*made)
            existing = self._find(request)
            if existing is None:
                spec = self._spec(request)
                image = self.images.ready(request.node, spec.image)
                if isinstance(image, Waiting):
                    return image  # being pulled: nothing made yet
                spec.image = image
                if spec.device_requests:
                    count = sum(r.get("Count") or 0 for r in spec.device_requests)
                    require_gpus(request.node, self.site.name, count, self.engine.client.info())
                spec.network = deployment_network(
                    self.engine.client, request.node, request.deployment_id, self.site.name
                )
                existing = self._create_pinned(request, spec)
            elif existing.status == "created":  # made, but a crash came before start
                self._start_new(request, existing, self._spec(request))
            existing.reload()
            return Realized(existing.id, self._attributes(existing.attrs))

    def _find(self, request: NodeRequest) -> Any:
        found = self.engine.client.containers.list(
            all=True, filters=lbl.label_filter(lbl.instance_labels(request, self.site.name))
        )
        return found[0] if found else None

    def _create_container(self, request: NodeRequest, spec: ContainerSpec) -> Any:
        try:
            return self.engine.client.containers.create(
                **spec.create_kwargs(lbl.container_name(request))
            )
        except docker.errors.APIError as exc:
            if exc.status_code == 409:  # another worker made it a moment ago
                found = self._find(request)
                if found is not None:
                    return found
            raise SiteError(
                f"node {request.node}: cannot create its container on site "
                f"{self.site.name}: {explain(exc)}"
            ) from None

    def _create_pinned(self, request: NodeRequest, spec: ContainerSpec) -> Any:
        """Create and start the container, its ports left to the engine pinned to ports
        free now (``pin_free_ports``: they stay across stop and start); one taken between
        the pick and the start is picked again."""
        asked, tries = spec.ports, 0
        while True:
            spec.ports = pin_free_ports(asked)
            container = self._create_container(request, spec)
            try:
                self._start_new(request, container, spec)
                return container
            except PortTaken:
                tries += 1
                if tries == PIN_TRIES or spec.ports == asked:  # none picked: the template's own
                    raise

    def _start_new(self, request: NodeRequest, container: Any, spec: ContainerSpec) -> None:
        """Check a container just made against the site's policy and start it; if either
        fails, remove it: nothing left behind."""
        scope = Scope(request.deployment_id, containers=frozenset({container.id}))
        # what the site itself adds to a VM: GPUs when asked, its read-only mounts
        rules = allowing_binds(allowing_gpus(self.compose.rules(), bool(spec.device_requests)),
                               spec.binds)  # fmt: skip
        try:
            check_created(self.engine.client, request.node, self.site.name, [container.id],
                          scope, rules)  # fmt: skip
        except SiteError:
            self._remove(container.id)
            raise
        try:
            container.start()
        except docker.errors.APIError as exc:
            self._remove(container.id)
            if is_port_taken(exc):
                asked = ", ".join(str(p.host_port) for p in spec.ports if p.host_port)
                raise PortTaken(
                    f"node {request.node}: host port {asked or '(free)'} on 127.0.0.1 is already "
                    f"in use on site {self.site.name} ({explain(exc)})"
                ) from None
            raise SiteError(
                f"node {request.node}: its container did not start on site "
                f"{self.site.name}: {explain(exc)}"
            ) from None

    def wait_ready(self, request: NodeRequest, realized: Realized, deadline: float) -> Realized:
        if volume_of(realized.physical_id):
            return realized  # a volume is usable once made
        with self.engine.calls(f"node {request.node}"):
            project = project_of(realized.physical_id)
            if project:
                return Realized(
                    realized.physical_id, self.compose.wait(request.node, project, deadline)
                )
            try:
                container = self.engine.client.containers.get(realized.physical_id)
            except docker.errors.NotFound:
                raise SiteError(
                    f"node {request.node}: its container {realized.physical_id[:12]} is gone "
                    f"from site {self.site.name} (removed while waiting for it)"
                ) from None
            attrs = self._attributes(container.attrs)
            if _kind(container.attrs) == VM:
                wait_vm(self.engine.client, container, request.node, attrs["ssh_port"], deadline)
            else:
                tcp = {
                    int(key.split("/")[0]): host
                    for key, host in attrs["ports"].items()
                    if key.endswith("/tcp")
                }
                wait_application(self.engine.client, container, request.node, tcp, deadline)
            _keep_restarting(container)
            container.reload()
            return Realized(container.id, self._attributes(container.attrs))

    def check_ready(
        self, request: NodeRequest, realized: Realized, wait: float
    ) -> Realized | Waiting:
        """``wait_ready`` bounded to ``wait`` seconds: the engine parks the job meanwhile."""
        try:
            return self.wait_ready(request, realized, time.monotonic() + wait)
        except StillWaiting as exc:
            return Waiting(exc.waiting_for, str(exc))

    def _attributes(self, attrs: dict[str, Any]) -> dict[str, Any]:
        found = vm_attributes(attrs) if _kind(attrs) == VM else application_attributes(attrs)
        node = ((attrs.get("Config") or {}).get("Labels") or {}).get(lbl.NODE, "")
        found["dns_name"] = dns_name(node, LOCALHOST, self.compose.zone)
        return found

    # -- lifecycle ----------------------------------------------------------

    def delete(self, physical_id: str) -> None:
        with self.engine.calls(f"resource {physical_id[:19]}"):
            volume, project = volume_of(physical_id), project_of(physical_id)
            if volume:
                remove_volume(self.engine.client, volume)
            elif project:
                self.compose.remove(project)
            else:
                self._remove(physical_id)

    def _remove(self, physical_id: str) -> None:
        try:
            self.engine.client.api.remove_container(physical_id, force=True, v=True)
        except docker.errors.NotFound:
            pass  # already gone
        except docker.errors.APIError as exc:
            if exc.status_code != 409 or "in progress" not in explain(exc):
                raise

    def delete_deployment(self, deployment_id: str) -> list[str]:
        with self.engine.calls(f"deployment {deployment_id}"):
            filters = lbl.label_filter({lbl.DEPLOYMENT: deployment_id, lbl.SITE: self.site.name})
            ids = [c["Id"] for c in self.engine.client.api.containers(all=True, filters=filters)]
            for cid in ids:
                self._remove(cid)
            # volumes last: a volume still mounted cannot be removed
            self.compose.remove_deployment(deployment_id)
            client, site = self.engine.client, self.site.name
            remove_deployment_networks(client, deployment_id, site)
            return ids + remove_deployment_volumes(client, deployment_id, site)

    def start(self, physical_id: str) -> dict[str, Any]:
        if volume_of(physical_id):
            return {}  # nothing runs in a volume
        with self.engine.calls(f"resource {physical_id[:19]}"):
            project = project_of(physical_id)
            if project:
                self.compose.set_running(project, True)
                return self.compose.attributes(project)
            container = self._existing(physical_id)
            container.start()
            _keep_restarting(container)  # one made before it had none
            container.reload()  # ports it picked itself are new at each start (none here)
            return self._attributes(container.attrs)

    def stop(self, physical_id: str) -> None:
        if volume_of(physical_id):
            return
        with self.engine.calls(f"resource {physical_id[:19]}"):
            project = project_of(physical_id)
            if project:
                self.compose.set_running(project, False)
            else:
                self._existing(physical_id).stop(timeout=10)

    def _existing(self, physical_id: str) -> Any:
        try:
            return self.engine.client.containers.get(physical_id)
        except docker.errors.NotFound:
            raise SiteError(
                f"container {physical_id[:12]} no longer exists on site {self.site.name}"
            ) from None

    def observe(self, physical_id: str) -> str:
        volume = volume_of(physical_id)
        with self.engine.calls(f"resource {physical_id[:19]}"):
            if volume:
                try:
                    self.engine.client.api.inspect_volume(volume)
                except docker.errors.NotFound:
                    return "DELETED"
                return "STARTED"
            if project_of(physical_id):
                return self.compose.observe(project_of(physical_id) or "")
            try:
                state = self.engine.client.api.inspect_container(physical_id)["State"]
            except docker.errors.NotFound:
                return "DELETED"
        status = state.get("Status")
        if status in ("running", "restarting") and not state.get("Paused"):
            return "STARTED"
        if status == "dead" or state.get("OOMKilled") or state.get("Error"):
            return "ERROR"
        if status == "removing":
            return "DELETING"
        return "STOPPED"  # created, exited, paused

    def observe_attributes(self, physical_id: str) -> dict[str, Any] | None:
        if volume_of(physical_id) or project_of(physical_id):
            return None  # nothing of them moves on a restart
        with self.engine.calls(f"resource {physical_id[:19]}"):
            try:
                attrs = self.engine.client.api.inspect_container(physical_id)
            except docker.errors.NotFound:
                return None
        return self._attributes(attrs) if (attrs.get("State") or {}).get("Running") else None

    def ping(self) -> None:
        with self.engine.calls(f"site {self.site.name}"):
            self.engine.client.ping()

    def local_images(self) -> frozenset[str]:
        """The ``repository:tag`` names of the images the engine holds (one list call)."""
        with self.engine.calls(f"site {self.site.name}"):
            listed = self.engine.client.api.images()
        return frozenset(t for i in listed for t in i.get("RepoTags") or () if "<none>" not in t)

    def watch_nodes(self, stop: threading.Event, changed: Callable[[str | None], None]) -> None:
        watch_nodes(self.engine, self.site.name, stop, changed)


def _kind(attrs: dict[str, Any]) -> str:
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    return labels.get(lbl.KIND, APPLICATION)


def _keep_restarting(container: Any) -> None:
    """Give a running container the restart policy. Docker refuses to update one that has
    stopped meanwhile (its process exited at once): that one is left as it is, and the
    reconciler sees it down and starts it, which gives the policy then."""
    try:
        container.update(restart_policy=RESTART_POLICY)
    except docker.errors.APIError as exc:
        if "stopped container" not in str(exc):
            raise

"""What to create for one node instance: a plain description of a container."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cumulo.drivers.docker.ports import PortRequest, port_bindings

VM = "vm"
APPLICATION = "application"
# Given to a container once it is ready (not before: one that dies while being made must
# fail its node, not restart): the engine starts it again when it comes back (a reboot),
# unless a user stopped it; what the policy misses, cumulo's reconciler does.
RESTART_POLICY = {"Name": "unless-stopped"}


@dataclass
class ContainerSpec:
    kind: str  # VM or APPLICATION
    image: str
    command: list[str] | None = None
    environment: dict[str, str] = field(default_factory=dict)
    ports: list[PortRequest] = field(default_factory=list)
    limits: dict[str, int] = field(default_factory=dict)  # nano_cpus, mem_limit
    hostname: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    # named volume -> {"bind": mount point, "mode": "rw"} (attached block storage)
    volumes: dict[str, dict[str, str]] = field(default_factory=dict)
    network: str | None = None  # the deployment's own network (``networks.py``)
    device_requests: list[Any] = field(default_factory=list)  # GPUs (``gpus.py``)
    # host path -> {"bind": mount point, "mode": "ro"}: the site's read-only mounts
    binds: dict[str, dict[str, str]] = field(default_factory=dict)

    def create_kwargs(self, name: str) -> dict[str, Any]:
        """Keyword arguments for ``docker.DockerClient().containers.create``."""
        kwargs: dict[str, Any] = {
            "image": self.image,
            "name": name,
            "labels": self.labels,
            "environment": self.environment,
            "ports": port_bindings(self.ports),
            "detach": True,
            **self.limits,
        }
        if self.command:
            kwargs["command"] = self.command
        if self.volumes or self.binds:
            kwargs["volumes"] = {**self.volumes, **self.binds}
        if self.device_requests:
            kwargs["device_requests"] = self.device_requests
        if self.hostname:
            kwargs["hostname"] = self.hostname
        if self.network:
            kwargs["network"] = self.network
        if self.kind == VM:
            # tini as PID 1 reaps orphans of SSH sessions, as a VM's init would.
            kwargs["init"] = True
        return kwargs

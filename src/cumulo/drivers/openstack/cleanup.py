"""Removing what cumulo made on a cloud: one object, or all of a deployment's.

Order matters: servers first (their ports and volumes are in use until they
are gone), then floating IPs and ports, the security group, and the volumes
once detached. "Already gone" is success. The waits are bounded
(``GONE_WAIT``): a delete job runs in a worker and must end.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from openstack import exceptions as sdk
from openstack.connection import Connection

from cumulo.drivers.openstack import tags
from cumulo.drivers.openstack.servers import deployment_servers
from cumulo.drivers.openstack.volumes import PREFIX, deployment_volumes, volume_of
from cumulo.errors import SiteError

GONE_WAIT = 120.0  # seconds for servers to go and volumes to detach
POLL = 0.5
BUSY_VOLUME = ("in-use", "attaching", "detaching", "creating", "deleting", "reserved")


class Cleanup:
    def __init__(self, conn: Connection, site: str) -> None:
        self.conn, self.site = conn, site

    def one(self, physical_id: str) -> None:
        volume = volume_of(physical_id)
        if volume is not None:
            self._volumes([self.conn.block_storage.find_volume(volume)])
        elif physical_id.startswith("port:"):
            with contextlib.suppress(sdk.NotFoundException):
                for fip in self.conn.network.ips(port_id=physical_id.removeprefix("port:")):
                    self.conn.network.delete_ip(fip, ignore_missing=True)
        elif not physical_id.startswith("network:"):
            server = self.conn.compute.find_server(physical_id)
            if server is None:
                return
            self._servers([server])
            for tag in server.tags or []:
                if tag.startswith("cumulo-i-"):
                    self._network_objects(tag)

    def deployment(self, deployment_id: str) -> list[str]:
        servers = deployment_servers(self.conn, deployment_id)
        self._servers(servers)
        tag = tags.deployment_tag(deployment_id)
        removed = [s.id for s in servers] + self._network_objects(tag)
        groups = list(self.conn.network.security_groups(tags=tag))
        for group in groups:
            self._retry_busy(
                lambda g=group: self.conn.network.delete_security_group(g, ignore_missing=True)
            )
        volumes = [
            v
            for v in deployment_volumes(self.conn, deployment_id)
            if (v.metadata or {}).get(tags.KEEP) != "true"
        ]
        self._volumes(volumes)
        return removed + [g.id for g in groups] + [PREFIX + v.id for v in volumes]

    def _servers(self, servers: list[Any]) -> None:
        for server in servers:
            self.conn.compute.delete_server(server, ignore_missing=True)
        left = {s.id for s in servers}
        until = time.monotonic() + GONE_WAIT
        while left:
            left = {sid for sid in left if self.conn.compute.find_server(sid) is not None}
            if left and time.monotonic() > until:
                raise SiteError(
                    f"servers {', '.join(sorted(left))} are still being deleted "
                    f"on site {self.site} after {GONE_WAIT:g} s"
                )
            if left:
                time.sleep(POLL)

    def _network_objects(self, tag: str) -> list[str]:
        """Floating IPs and ports with ``tag``; their ids."""
        removed = []
        for fip in list(self.conn.network.ips(tags=tag)):
            self.conn.network.delete_ip(fip, ignore_missing=True)
            removed.append(fip.id)
        for port in list(self.conn.network.ports(tags=tag)):
            self._retry_busy(lambda p=port: self.conn.network.delete_port(p, ignore_missing=True))
            removed.append(port.id)
        return removed

    def _volumes(self, volumes: list[Any]) -> None:
        for volume in volumes:
            if volume is None:
                continue
            until = time.monotonic() + GONE_WAIT
            current = volume
            while current is not None and current.status in BUSY_VOLUME:
                if current.status == "deleting":
                    break
                if time.monotonic() > until:
                    raise SiteError(
                        f"volume {volume.id} is still {current.status} on site "
                        f"{self.site} after {GONE_WAIT:g} s"
                    )
                time.sleep(POLL)
                current = self.conn.block_storage.find_volume(volume.id)
            if current is not None and current.status != "deleting":
                self.conn.block_storage.delete_volume(current, ignore_missing=True)

    def _retry_busy(self, action: Callable[[], object]) -> None:
        """Neutron answers 409 while a port is still bound: try again for a while."""
        until = time.monotonic() + GONE_WAIT
        while True:
            try:
                action()
                return
            except sdk.ConflictException:
                if time.monotonic() > until:
                    raise
                time.sleep(POLL)

"""``OpenStackDriver``: a site's nodes as servers, volumes and floating IPs on OpenStack.

Compute → a Nova server (``servers.py``: flavor and image by ``sizing.py``,
accounts by cloud-init ``userdata.py``) on a port of the site's private network
with the deployment's security group and, when the endpoint is PUBLIC, a
floating IP from the site's pool (``networking.py``); BlockStorage → a Cinder
volume attached at boot (``volumes.py``); Network and Port nodes say which of
those networks a server joins. Everything is tagged (``tags.py``), so ``create``
finds what it made before a crash and ``delete_deployment`` removes it all.
Waiting holds no worker: ``check_ready`` answers ``Waiting`` while a server
builds. The site options: ``network`` (required), ``floating_ip_pool``,
``volume_type``, ``clouds_yaml``, ``region``, project settings
(``credentials.py``).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from openstack import exceptions as sdk
from openstack.connection import Connection

from cumulo.drivers.base import NodeRequest, Realized, SiteInfo, Waiting
from cumulo.drivers.openstack import networking as net
from cumulo.drivers.openstack import tags
from cumulo.drivers.openstack.calls import CloudCalls, Gone, cloud_message
from cumulo.drivers.openstack.cleanup import Cleanup
from cumulo.drivers.openstack.inventory import read_inventory
from cumulo.drivers.openstack.owners import OwnerConnections, is_federated, ping_keystone
from cumulo.drivers.openstack.servers import (
    COMPUTE_TYPES,
    find_server,
    is_compute,
    server_attributes,
)
from cumulo.drivers.openstack.sizing import (
    choose_flavor,
    choose_image,
    cloud_flavor,
    smallest_first,
)
from cumulo.drivers.openstack.states import fault_text, node_state
from cumulo.drivers.openstack.userdata import user_data
from cumulo.drivers.openstack.volumes import (
    FAILED,
    PREFIX,
    READY,
    attachments,
    block_devices,
    ensure_volume,
    volume_attributes,
    volume_of,
)
from cumulo.drivers.storage import STORAGE_TYPES, is_storage
from cumulo.errors import DriverTimeout, ImageNotFound, SiteError
from cumulo.federation import Flavor

NETWORK_TYPES = frozenset({"tosca.nodes.network.Network", "tosca.nodes.network.Port"})
NETWORK_PREFIX = "network:"
PORT_PREFIX = "port:"
POLL = 0.5  # seconds between looks at a server or volume within one check
BOOT_RETRY = 2.0  # when to look again at a server still building
STATE_WAIT = 60.0  # how long start and stop wait for the server to get there
FLAVORS_KEPT = 300.0  # seconds a read of the cloud's flavors is reused


class OpenStackDriver:
    """The Driver protocol (``cumulo.drivers.base``) over one OpenStack project."""

    kind = "openstack"
    native_types = COMPUTE_TYPES | STORAGE_TYPES | NETWORK_TYPES

    def __init__(self, site: SiteInfo) -> None:
        self.site = site
        options = dict(site.options or {})
        self.options = options
        self.calls = CloudCalls(site.name, site.endpoint, site.credentials, options)
        # A federated site: each deployment's calls as its owner (``owners.py``).
        self.owners = (
            OwnerConnections(site, self.calls.retry_delays) if is_federated(options) else None
        )
        # Kept per project (a federated site's owners are in several): scope -> ...
        self._flavors: dict[str, tuple[float, tuple[Flavor, ...]]] = {}
        self._ids: dict[tuple[str, str, str], str] = {}
        self._lock = threading.Lock()

    def realizes(self, request: NodeRequest) -> bool:
        return any(t in self.native_types for t in request.types)

    # -- create ---------------------------------------------------------------

    def _calls(self, **owner_of: str) -> CloudCalls:
        """The site's connection, or on a federated site that of the owner of the
        deployment (``deployment_id=``) or resource (``physical_id=``)."""
        return self.owners.calls(**owner_of) if self.owners is not None else self.calls

    def create(self, request: NodeRequest) -> Realized:
        what = f"node {request.node}"
        calls = self._calls(deployment_id=request.deployment_id)
        if is_storage(request):
            volume = calls.call(
                what,
                lambda c: ensure_volume(
                    c, request, self.site.name, self.options.get("volume_type")
                ),
            )
            return Realized(PREFIX + volume.id, volume_attributes(volume))
        if is_compute(request):
            return calls.call(what, lambda c: self._create_server(c, request))
        if request.is_a("tosca.nodes.network.Port"):
            return calls.call(what, lambda c: self._port(c, request))
        return self._network(request)

    def _create_server(self, conn: Connection, request: NodeRequest) -> Realized:
        found = find_server(conn, request)
        if found is not None:  # made before a crash or a retry
            return Realized(found.id, {})
        mounts = attachments(request)
        flavor = choose_flavor(request, self.site.name, self._cloud_flavors(conn))
        image = self._image_id(conn, request)
        rules = net.rules_of(request)
        group = net.ensure_security_group(conn, request.deployment_id, rules)
        port = net.ensure_port(conn, request, self._network_id(conn, "network"), group)
        if net.wants_public_ip(request):
            self._floating_ip(conn, request.node, tags.request_tags(request), port.id)
        server = conn.compute.create_server(
            name=tags.object_name(request),
            flavor_id=conn.compute.find_flavor(flavor, ignore_missing=False).id,
            image_id=image,
            networks=[{"port": port.id}],
            user_data=user_data(request, mounts),
            tags=tags.request_tags(request),
            metadata=tags.metadata(request, self.site.name),
            **({"block_device_mapping": block_devices(image, mounts)} if mounts else {}),
        )
        return Realized(server.id, {})

    def _floating_ip(self, conn: Connection, node: str, tag_list: list[str], port: str) -> Any:
        pool_name = self.options.get("floating_ip_pool")
        if not pool_name:
            raise SiteError(
                f"node {node}: site {self.site.name} has no floating IP pool "
                "(options.floating_ip_pool) and the node wants a public address"
            )
        pool = self._network_id(conn, "floating_ip_pool")
        try:
            return net.ensure_floating_ip(conn, tag_list, pool, port)
        except sdk.HttpException as exc:
            raise SiteError(
                f"node {node}: no floating IP from pool {pool_name} of site {self.site.name}: "
                f"{cloud_message(exc)}"
            ) from None

    def _port(self, conn: Connection, request: NodeRequest) -> Realized:
        """A Port binds a made server to a Network: a public one means a floating IP."""
        binding = next((r for r in request.requirements if r.get("name") == "binding"), None)
        link = next((r for r in request.requirements if r.get("name") == "link"), None)
        server_node = str((binding or {}).get("node") or "")
        public = str((link or {}).get("target_physical_id") or "") == NETWORK_PREFIX + "public"
        port, instance = None, ""
        for index in dict.fromkeys((request.index, 0)):  # the same index, else instance 0
            instance = tags.instance_tag(request.deployment_id, server_node, index)
            port = net.find_port(conn, instance)
            if port is not None:
                break
        if port is None:
            raise SiteError(
                f"node {request.node}: its binding {server_node!r} has no port "
                f"on site {self.site.name}"
            )
        if public:
            tag_list = [tags.deployment_tag(request.deployment_id), instance]
            fip = self._floating_ip(conn, request.node, tag_list, port.id)
            return Realized(PORT_PREFIX + port.id, {"ip_address": fip.floating_ip_address})
        fixed = net.fixed_addresses(port)
        return Realized(PORT_PREFIX + port.id, {"ip_address": fixed[0] if fixed else None})

    def _network(self, request: NodeRequest) -> Realized:
        kind = str(request.properties.get("network_type") or "").lower()
        name = str(request.properties.get("network_name") or "").upper()
        public = kind == "public" or name == "PUBLIC"
        option = "floating_ip_pool" if public else "network"
        return Realized(
            NETWORK_PREFIX + ("public" if public else "private"),
            {"network_name": self.options.get(option), "network_type": kind or "private"},
        )

    # -- wait -------------------------------------------------------------------

    def check_ready(
        self, request: NodeRequest, realized: Realized, wait: float
    ) -> Realized | Waiting:
        pid, what = realized.physical_id, f"node {request.node}"
        if pid.startswith((NETWORK_PREFIX, PORT_PREFIX)):
            return realized
        until = time.monotonic() + max(wait, 0)
        calls = self._calls(deployment_id=request.deployment_id)
        while True:
            got = calls.call(what, lambda c: self._look(c, request, realized))
            if not isinstance(got, Waiting) or time.monotonic() + POLL > until:
                return got
            time.sleep(POLL)

    def _look(
        self, conn: Connection, request: NodeRequest, realized: Realized
    ) -> Realized | Waiting:
        volume = volume_of(realized.physical_id)
        if volume is not None:
            found = conn.block_storage.get_volume(volume)
            if found.status in FAILED:
                raise SiteError(
                    f"node {request.node}: volume {volume} failed on site "
                    f"{self.site.name} (status {found.status})"
                )
            if found.status not in (READY, "in-use"):
                return Waiting(
                    f"volume {volume} to be available ({found.status})",
                    f"node {request.node}: volume {volume} is {found.status}",
                    POLL,
                )
            return Realized(realized.physical_id, volume_attributes(found))
        server = conn.compute.get_server(realized.physical_id)
        if server.status == "ERROR":
            raise SiteError(
                f"node {request.node}: server {server.id} failed on site "
                f"{self.site.name}: {fault_text(server)}"
            )
        if server.status == "BUILD":
            task = server.task_state or "scheduling"
            what = f"server {server.name} to boot on site {self.site.name} (BUILD, {task})"
            return Waiting(what, f"node {request.node}: still waiting for {what}", BOOT_RETRY)
        return Realized(server.id, self._server_attributes(conn, request, server))

    def _server_attributes(self, conn: Connection, request: NodeRequest, server: Any) -> dict:
        instance = tags.request_tags(request)[1]
        port = net.find_port(conn, instance)
        fip = next(iter(conn.network.ips(tags=instance)), None)
        private = net.fixed_addresses(port) if port is not None else []
        floating = fip.floating_ip_address if fip is not None else None
        return server_attributes(
            request, server, private, floating, net.rules_of(request), attachments(request)
        )

    def wait_ready(self, request: NodeRequest, realized: Realized, deadline: float) -> Realized:
        while True:
            left = deadline - time.monotonic()
            got = self.check_ready(request, realized, max(left, 0))
            if isinstance(got, Realized):
                return got
            if time.monotonic() >= deadline:
                raise DriverTimeout(got.detail)

    # -- lifecycle -----------------------------------------------------------------

    def delete(self, physical_id: str) -> None:
        calls = self._calls(physical_id=physical_id)
        calls.call(f"resource {physical_id}", lambda c: self._cleanup(c).one(physical_id))

    def delete_deployment(self, deployment_id: str) -> list[str]:
        return self._calls(deployment_id=deployment_id).call(
            f"deployment {deployment_id}", lambda c: self._cleanup(c).deployment(deployment_id)
        )

    def _cleanup(self, conn: Connection) -> Cleanup:
        return Cleanup(conn, self.site.name)

    def start(self, physical_id: str) -> dict[str, Any]:
        self._set_running(physical_id, True)
        return {}

    def stop(self, physical_id: str) -> None:
        self._set_running(physical_id, False)

    def _set_running(self, physical_id: str, running: bool) -> None:
        if physical_id.startswith((PREFIX, NETWORK_PREFIX, PORT_PREFIX)):
            return  # nothing runs in a volume or a network
        want, verb = ("ACTIVE", "start") if running else ("SHUTOFF", "stop")

        def act(conn: Connection) -> None:
            server = conn.compute.get_server(physical_id)
            if server.status != want:
                (conn.compute.start_server if running else conn.compute.stop_server)(server)
            until = time.monotonic() + STATE_WAIT
            while conn.compute.get_server(physical_id).status != want:
                if time.monotonic() > until:
                    raise SiteError(f"server {physical_id} did not {verb} within {STATE_WAIT:g} s")
                time.sleep(POLL)

        self._calls(physical_id=physical_id).call(f"server {physical_id}: {verb}", act)

    def observe(self, physical_id: str) -> str:
        if physical_id.startswith((NETWORK_PREFIX, PORT_PREFIX)):
            return "STARTED"
        volume = volume_of(physical_id)
        calls = self._calls(physical_id=physical_id)
        try:
            if volume is not None:
                found = calls.call("volume", lambda c: c.block_storage.get_volume(volume))
                return "ERROR" if found.status in FAILED else "STARTED"
            server = calls.call("server", lambda c: c.compute.get_server(physical_id))
        except Gone:
            return "DELETED"
        return node_state(server.status, server.task_state)

    def ping(self) -> None:
        """A real API call: the credentials, Keystone and Nova all answer.

        One try, no back-off: the engine asks when a step failed whether the site is
        away now, and waits for it itself (``site_outage``); retrying here would let a
        site that is back by the last retry pass for one that never went away. A federated
        site without credentials of its own: its Keystone answers.
        """
        if self.owners is not None and not self.site.credentials:
            return ping_keystone(self.site)
        self.calls.call(f"site {self.site.name}", lambda c: c.compute.get_limits(), retry=False)

    def inventory(self) -> dict[str, Any] | None:
        """Flavors, images, limits and usage of the cloud (``cumulo sites probe``); None
        for a federated site without credentials of its own (its registry entry stays)."""
        if self.owners is not None and not self.site.credentials:
            return None
        return self.calls.call(f"site {self.site.name}: probe", read_inventory)

    # -- lookups kept by the driver --------------------------------------------------

    def _scope(self, conn: Connection) -> str:
        """The project ``conn`` works in, where it may differ between calls (federated)."""
        return str(conn.current_project_id) if self.owners is not None else ""

    def _cloud_flavors(self, conn: Connection) -> tuple[Flavor, ...]:
        scope = self._scope(conn)
        with self._lock:
            kept = self._flavors.get(scope)
            if kept and time.monotonic() - kept[0] < FLAVORS_KEPT:
                return kept[1]
        found = smallest_first([cloud_flavor(f) for f in conn.compute.flavors(details=True)])
        with self._lock:
            self._flavors[scope] = (time.monotonic(), found)
        return found

    def _network_id(self, conn: Connection, option: str) -> str:
        name = self.options.get(option)
        if not name:
            raise SiteError(f"site {self.site.name}: options.{option} is not set")
        key = (self._scope(conn), "network", str(name))
        with self._lock:
            if key in self._ids:
                return self._ids[key]
        found = net.network_id(conn, self.site.name, str(name), option)
        with self._lock:
            self._ids[key] = found
        return found

    def _image_id(self, conn: Connection, request: NodeRequest) -> str:
        ref = choose_image(request, self.site.name, self.site.images)
        key = (self._scope(conn), "image", ref)
        with self._lock:
            if key in self._ids:
                return self._ids[key]
        image = conn.image.find_image(ref)
        if image is None:
            raise ImageNotFound(
                f"node {request.node}: image {ref!r} not found on site {self.site.name}"
            )
        with self._lock:
            self._ids[key] = image.id
        return str(image.id)

"""The Driver protocol: what the engine asks of a site backend.

The engine never imports a backend module; it holds a ``Driver`` obtained from
the site registry and speaks only this protocol. A driver realizes the node
types it declares in ``native_types``; every other node is a software
component configured on its host (``cumulo.configure``).

Contract every driver keeps:
- ``create`` is idempotent: it first looks for what it already made for the
  same (deployment, node, index) — labels or tags — and returns that instead
  of making a second one. A retried job never leaks a resource.
- ``create`` returns quickly with a physical id, or a ``Waiting`` when nothing can
  be made yet (an image still being pulled): the engine parks the job and calls
  ``create`` again later, so the driver keeps the long work (a pull) in the
  background and answers how far it got. ``check_ready`` is one
  bounded look: it waits at most ``wait`` seconds (event-driven where the
  backend has events) and answers the final ``Realized`` or a ``Waiting``
  that says what is awaited and, when the backend knows, when to look again.
  The engine parks the job between looks, so waiting holds no worker.
  ``wait_ready`` blocks until usable or the deadline (``DriverTimeout``).
- ``delete`` treats "already gone" as success. ``delete_deployment`` removes
  everything labelled with the deployment id, so nothing is left behind.
- Errors are ``cumulo.errors.SiteError`` (or subclasses) with a message that
  names the node and the cause; never a backend library's exception.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from cumulo.egress import EgressPolicy


@dataclass(frozen=True)
class OwnerAuth:
    """Whom a site that acts as the user (Keystone federation) acts for: a deployment's owner.

    ``access_token`` gives the owner's OIDC access token, fresh enough for one step
    (the engine trades the owner's kept refresh token for it); it raises ``SiteError``
    saying why there is none. Never logged nor shown (repr=False).
    """

    owner: str  # the owner's stable, non-secret id (a digest of issuer and subject)
    group: str | None  # the deployment's user group: the site maps it to a project
    access_token: Callable[[], str] = field(repr=False, compare=False)


# The engine's lookup: the owner of deployment ``deployment_id``, or of the resource
# ``physical_id`` of the site (calls that name only a resource), as keywords.
OwnerLookup = Callable[..., OwnerAuth]


@dataclass(frozen=True)
class SiteInfo:
    """What a driver needs to know of the site it serves."""

    name: str
    endpoint: str  # e.g. "unix:///var/run/docker.sock" or "tcp://127.0.0.1:2375"
    # distribution -> version -> image reference, e.g. {"debian": {"12": "cumulo/vm-debian:12"}}
    images: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    # The site pulls the container images it lacks (``capabilities.public_images``), from
    # where its options say (``cumulo.federation.registries``); else it runs only its own.
    public_images: bool = False
    # Where the driver may connect on a user's behalf (compose URLs): the installation's.
    egress: EgressPolicy = field(default_factory=EgressPolicy)
    # The site's credentials reference, opened from the registry (e.g. "clouds:NAME"):
    # never logged nor shown (repr=False).
    credentials: str | None = field(default=None, repr=False)
    # For sites that act as each deployment's owner (Keystone federation): the engine's
    # ``OwnerLookup``; None where the engine gives none (tools, probes).
    owner_auth: OwnerLookup | None = field(default=None, repr=False, compare=False)
    # The site's S3 service when it declares one: endpoint, region and its credentials
    # reference, opened (``cumulo.drivers.object_storage``); never logged nor shown.
    s3: Mapping[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class NodeRequest:
    """One node instance to realize, already planned by the TOSCA processor.

    ``properties`` and ``capabilities`` are the instance's evaluated values
    (no TOSCA function left but deferred runtime ones, which a driver ignores).
    ``host_physical_id`` is the physical id of the Compute the node is hosted
    on, if any and already made. ``ssh_public_keys`` are the keys to install
    for the deployment owner's account ``ssh_user`` on VM-like nodes.
    """

    deployment_id: str
    node: str
    index: int
    type: str
    types: tuple[str, ...]  # the type and its ancestors, most derived first
    properties: Mapping[str, Any]
    capabilities: Mapping[str, Mapping[str, Any]]
    # artifact name -> {"type", "file", "repository", ...}; e.g. a Docker image
    artifacts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    host_physical_id: str | None = None
    ssh_user: str = "cloudadm"
    ssh_public_keys: tuple[str, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    # The node's requirements on other nodes, each a dict: name, node (the
    # target), relationship (type), properties (of the relationship) and
    # target_physical_id (when the target is already made), e.g. an AttachesTo
    # a BlockStorage with its ``location``.
    requirements: tuple[Mapping[str, Any], ...] = ()

    def is_a(self, type_name: str) -> bool:
        return type_name in self.types


@dataclass
class Realized:
    """A made resource: its physical id and its runtime attributes.

    ``attributes`` use TOSCA attribute names where one exists:
    ``public_address`` / ``private_address`` (lists of addresses, as IM gives
    them), ``ssh_port``, ``endpoint`` (a dict with ``credential`` and
    ``ports``), ``ports`` (container port -> published host port), ...
    """

    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Waiting:
    """Not ready yet: what the resource waits for, and when to look again if known.

    ``what`` completes "waiting for ...", e.g. "port 80 (127.0.0.1:32768) to
    accept connections"; ``detail`` is the full explanation (with the last log
    lines) used if the deadline passes; ``retry_after`` is in seconds (None:
    the engine backs off by itself).
    """

    what: str
    detail: str = ""
    retry_after: float | None = None


@runtime_checkable
class Driver(Protocol):
    """A site backend; constructed with the ``SiteInfo`` of the site it serves."""

    kind: str  # "docker", "openstack", ...
    native_types: frozenset[str]

    def realizes(self, request: NodeRequest) -> bool:
        """True if this driver makes ``request`` natively (by its type chain)."""

    def create(self, request: NodeRequest) -> Realized | Waiting:
        """Make (or find again) the resource for ``request``; return fast (``Waiting``:
        nothing made yet, ask again later)."""

    def wait_ready(self, request: NodeRequest, realized: Realized, deadline: float) -> Realized:
        """Block until usable or ``deadline`` (time.monotonic()); return final attributes."""

    def check_ready(
        self, request: NodeRequest, realized: Realized, wait: float
    ) -> Realized | Waiting:
        """Look (waiting at most ``wait`` s): the final attributes, or what it still waits for."""

    def delete(self, physical_id: str) -> None:
        """Remove one resource; already gone is success."""

    def delete_deployment(self, deployment_id: str) -> list[str]:
        """Remove every resource labelled with the deployment; return their ids."""

    def start(self, physical_id: str) -> dict[str, Any]:
        """Start the resource; its runtime attributes as they are now (a restarted
        container gets new host ports), or {} when nothing of them changes."""

    def stop(self, physical_id: str) -> None: ...

    def observe(self, physical_id: str) -> str:
        """The resource's node state (``STARTED``, ``STOPPED``, ``ERROR``, ``DELETING``
        or ``DELETED``) as the backend reports it now; ``SiteError`` if it cannot tell."""

    def ping(self) -> None:
        """Raise ``SiteError`` if the backend cannot be reached."""


@runtime_checkable
class WatchesNodes(Protocol):
    """Optional, for a backend with events (Docker): the reconciler hears of a change
    at once instead of at its next periodic look (``cumulo.engine.lifecycle.reconcile``)."""

    def watch_nodes(self, stop: threading.Event, changed: Callable[[str | None], None]) -> None:
        """Block until ``stop`` is set: call ``changed(physical_id)`` when a resource this
        site made stops, starts or goes, and ``changed(None)`` when the backend answers
        again after it could not be reached (look at everything). Never raises."""


@runtime_checkable
class ObservesAttributes(Protocol):
    """Optional: a driver that can read a running resource's attributes without changing
    anything, so the reconciler notices when they changed behind cumulo's back (a
    container restarted by its engine's policy while cumulo was down has new host ports)."""

    def observe_attributes(self, physical_id: str) -> dict[str, Any] | None:
        """Its runtime attributes as they are now, or None when it is not running."""

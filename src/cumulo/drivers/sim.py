"""``SimDriver``: a TEST DOUBLE of a site backend, to exercise scheduler and engine at scale.

It makes nothing: "resources" are entries in memory, shared by the process.
It is never registered by default; tests and benchmarks enable it with
``cumulo.engine.sites.drivers.register_driver_kind("sim", "cumulo.drivers.sim:SimDriver")``
and define sites of kind ``sim`` whose ``options`` set its behaviour:

- ``latency_ms``: how long ``create`` takes (default 0);
- ``failure_rate``: the share of creates that fail, 0 to 1 (default 0),
  decided from a hash of (seed, deployment, node, index) so runs repeat;
- ``seed``: the seed of those draws (default 0);
- ``down``: ``ping`` fails, as for a site that cannot be reached;
- ``ready_after_s``: how long a made node takes to be ready (default 0), as a
  VM booting on a cloud: ``check_ready`` says when to look again.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from cumulo.drivers.base import NodeRequest, Realized, SiteInfo, Waiting
from cumulo.errors import DriverTimeout, SiteError

NATIVE_TYPES = frozenset(
    {
        "tosca.nodes.Compute",
        "tosca.nodes.indigo.Compute",
        "tosca.nodes.indigo.dockerRun",
        "tosca.nodes.Container.Application.Docker",
    }
)

# site name -> physical id -> deployment id; shared so a new driver object finds them.
_resources: dict[str, dict[str, str]] = {}
# physical id -> when (time.time()) it is ready; a create found again keeps its instant.
_ready_at: dict[str, float] = {}
# physical ids stopped (``stop``): a server SHUTOFF, until ``start``.
_stopped: set[str] = set()
_lock = threading.Lock()


class SimDriver:
    """The Driver protocol over nothing (a test double, see the module's doc)."""

    kind = "sim"
    native_types = NATIVE_TYPES

    def __init__(self, site: SiteInfo) -> None:
        self.site = site
        options: dict[str, Any] = dict(site.options or {})
        self.latency = float(options.get("latency_ms", 0)) / 1000
        self.failure_rate = float(options.get("failure_rate", 0))
        self.seed = options.get("seed", 0)
        self.down = bool(options.get("down", False))
        self.ready_after = float(options.get("ready_after_s", 0))
        with _lock:
            self._made = _resources.setdefault(site.name, {})

    def realizes(self, request: NodeRequest) -> bool:
        return any(t in NATIVE_TYPES for t in request.types)

    def _id(self, request: NodeRequest) -> str:
        return f"sim-{self.site.name}-{request.deployment_id}-{request.node}-{request.index}"

    def create(self, request: NodeRequest) -> Realized:
        if self.latency:
            time.sleep(self.latency)
        key = f"{self.seed}:{request.deployment_id}:{request.node}:{request.index}"
        if self.failure_rate and random.Random(key).random() < self.failure_rate:
            raise SiteError(f"node {request.node}: simulated failure on site {self.site.name}")
        pid = self._id(request)
        with _lock:
            self._made[pid] = request.deployment_id
            ready_at = _ready_at.setdefault(pid, time.time() + self.ready_after)
        return Realized(pid, {**self._attributes(request), "ready_at": ready_at})

    def _attributes(self, request: NodeRequest) -> dict[str, Any]:
        return {"public_address": ["127.0.0.1"], "private_address": ["10.0.0.1"], "sim": True}

    def wait_ready(self, request: NodeRequest, realized: Realized, deadline: float) -> Realized:
        got = self.check_ready(request, realized, max(deadline - time.monotonic(), 0))
        if isinstance(got, Waiting):
            raise DriverTimeout(got.detail)
        return got

    def check_ready(
        self, request: NodeRequest, realized: Realized, wait: float
    ) -> Realized | Waiting:
        left = float(realized.attributes.get("ready_at", 0)) - time.time()
        if left > wait:
            what = f"node {request.node} to boot (simulated, {left:.0f} s left)"
            return Waiting(what, f"node {request.node}: not ready (waiting for {what})", left)
        if left > 0:
            time.sleep(left)
        with _lock:
            if realized.physical_id not in self._made:
                raise SiteError(f"node {request.node}: {realized.physical_id} is gone")
        return realized

    def delete(self, physical_id: str) -> None:
        with _lock:
            self._made.pop(physical_id, None)
            _ready_at.pop(physical_id, None)

    def delete_deployment(self, deployment_id: str) -> list[str]:
        with _lock:
            ids = [pid for pid, dep in self._made.items() if dep == deployment_id]
            for pid in ids:
                del self._made[pid]
                _ready_at.pop(pid, None)
        return ids

    def start(self, physical_id: str) -> dict[str, Any]:
        self._existing(physical_id)
        _stopped.discard(physical_id)
        return {}

    def stop(self, physical_id: str) -> None:
        self._existing(physical_id)
        _stopped.add(physical_id)

    def observe(self, physical_id: str) -> str:
        if self.down:
            raise SiteError(f"site {self.site.name} is down (simulated)")
        with _lock:
            if physical_id not in self._made:
                return "DELETED"
            return "STOPPED" if physical_id in _stopped else "STARTED"

    def _existing(self, physical_id: str) -> None:
        with _lock:
            if physical_id not in self._made:
                raise SiteError(f"{physical_id} no longer exists on site {self.site.name}")

    def ping(self) -> None:
        if self.down:
            raise SiteError(f"site {self.site.name} is down (simulated)")


def held(site: str) -> dict[str, str]:
    """What the simulated site holds now: physical id -> deployment id (for tests)."""
    with _lock:
        return dict(_resources.get(site, {}))

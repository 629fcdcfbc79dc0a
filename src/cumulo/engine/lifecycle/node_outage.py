"""A node found down, gone or unseen: what is recorded of it, and how it reads.

While a node that should run is not running, its resource carries an outage
record under ``attributes["outage"]`` (``since``, ``cause``, ``kind`` and the
state it ``was`` in): it survives a restart of cumulo, it tells a node the
reconciler found down from one its user stopped (no record), and the API's
resource metadata shows it. The deployment's status reason is made of these
records' lines ("node vm[0]: down since 12:01:03 UTC (exited), restarting").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from cumulo.engine.states import NodeState, Status
from cumulo.store.models import Resource

OUTAGE = "outage"  # the key of the record in a resource's attributes
# States in which a node should be running.
RUNNING = (NodeState.CONFIGURED, NodeState.STARTED)
# Deployments whose nodes are watched: no work runs for them (a job's own states are its own).
WATCHED_STATUSES = (Status.CREATE_COMPLETE, Status.UPDATE_COMPLETE, Status.UPDATE_FAILED)

# Kinds of outage.
UNSEEN = "unseen"  # the site could not be asked: the node's state is not known
DOWN = "down"  # not running: being restarted
FAILED = "failed"  # its restart failed (tried again at each look)
GONE = "gone"  # removed behind cumulo's back: not made again (see docs/lifecycle.md)

# What a driver's observed state means, in the reason's words.
CAUSES = {"STOPPED": "stopped", "ERROR": "failed", "DELETED": "removed outside cumulo"}


@dataclass(frozen=True)
class Outage:
    since: str  # ISO instant (UTC) the outage was first seen
    kind: str
    cause: str
    was: str  # the resource's state before: it returns to it

    @staticmethod
    def of(res: Resource) -> Outage | None:
        found = (res.attributes or {}).get(OUTAGE)
        if not isinstance(found, dict):
            return None
        try:
            return Outage(**{k: str(found[k]) for k in ("since", "kind", "cause", "was")})
        except KeyError:
            return None

    def line(self, label: str) -> str:
        """One node's part of the status reason."""
        at = datetime.fromisoformat(self.since).strftime("%H:%M:%S UTC")
        if self.kind == UNSEEN:
            return f"node {label}: not seen since {at} ({self.cause})"
        if self.kind == DOWN:
            return f"node {label}: down since {at} ({self.cause}), restarting"
        if self.kind == FAILED:
            return f"node {label}: down since {at}, its restart failed: {self.cause}"
        return (
            f"node {label}: gone since {at} ({self.cause}); cumulo does not make it again: "
            "delete the deployment and deploy it again"
        )


def record_outage(res: Resource, outage: Outage | None) -> None:
    """Store (or, with None, clear) the resource's outage record."""
    attrs: dict[str, Any] = dict(res.attributes or {})
    if outage is None:
        attrs.pop(OUTAGE, None)
    else:
        attrs[OUTAGE] = asdict(outage)
    res.attributes = attrs


def label(res: Resource) -> str:
    return f"{res.node_name}[{res.node_index}]"


def is_watched(res: Resource) -> bool:
    """A node the reconciler looks after: one that should run, or one it found down."""
    if not res.physical_id or not res.site_name:
        return False
    return res.state in RUNNING or Outage.of(res) is not None


def needs_repair(res: Resource, seen: str | None, now: dict[str, Any] | None = None) -> bool:
    """Whether what the site reports (``seen``, None: it cannot be asked; ``now``: the
    attributes of a running node, when the driver can tell) differs from what is recorded
    of a watched node, so the deployment needs a reconcile job."""
    outage = Outage.of(res)
    if seen is None:
        return outage is None  # first sight of the outage; while it lasts, nothing to do
    if seen == "STARTED":  # back (the record goes), or restarted with other attributes
        stored = res.attributes or {}
        return outage is not None or any(stored.get(k) != v for k, v in (now or {}).items())
    if seen == "DELETING":
        return False  # being removed by the site itself: look again later
    if seen == "DELETED":
        return outage is None or outage.kind != GONE
    return True  # STOPPED or ERROR: restart it (again, if a restart failed)

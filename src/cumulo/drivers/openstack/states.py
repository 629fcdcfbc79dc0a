"""Nova's server statuses as the node states ``Driver.observe`` reports
(STARTED, STOPPED, ERROR, DELETING, DELETED): a server on its way up (BUILD,
REBOOT) counts as STARTED, one Nova is deleting (task state ``deleting``) as
DELETING."""

from __future__ import annotations

NODE_STATES = {
    "ACTIVE": "STARTED",
    "BUILD": "STARTED",
    "REBUILD": "STARTED",
    "REBOOT": "STARTED",
    "HARD_REBOOT": "STARTED",
    "PASSWORD": "STARTED",
    "RESIZE": "STARTED",
    "VERIFY_RESIZE": "STARTED",
    "REVERT_RESIZE": "STARTED",
    "MIGRATING": "STARTED",
    "RESCUE": "STOPPED",
    "SHUTOFF": "STOPPED",
    "STOPPED": "STOPPED",
    "PAUSED": "STOPPED",
    "SUSPENDED": "STOPPED",
    "SHELVED": "STOPPED",
    "SHELVED_OFFLOADED": "STOPPED",
    "ERROR": "ERROR",
    "DELETED": "DELETED",
    "SOFT_DELETED": "DELETED",
}


def node_state(server_status: str | None, task_state: str | None = None) -> str:
    """The node state of a server in ``server_status`` (UNKNOWN: ERROR)."""
    if (task_state or "").lower() == "deleting":
        return "DELETING"
    return NODE_STATES.get((server_status or "").upper(), "ERROR")


def fault_text(server: object) -> str:
    """The message of a server's fault (why it is in ERROR), or a generic one."""
    fault = getattr(server, "fault", None) or {}
    message = str(fault.get("message") or "").strip() if isinstance(fault, dict) else ""
    details = str(fault.get("details") or "").strip() if isinstance(fault, dict) else ""
    if message and details and not details.startswith("Traceback"):
        return f"{message} ({details.splitlines()[0]})"
    return message or "no fault message from the cloud"

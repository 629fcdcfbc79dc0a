"""Deleting as users expect: which delete buttons a deployment's page offers, where a
delete from a list goes back to, and what a deleted deployment's page says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import select

from cumulo.auth.identity import Identity
from cumulo.store.account_models import AuditEvent
from cumulo.store.models import Deployment

# A delete with no news for this long is stuck: only then are force and reset offered.
STUCK_AFTER = timedelta(minutes=10)
# The lists a delete may return to (never another site: no open redirect).
LISTS = ("/ui/deployments", "/ui/admin/deployments")


@dataclass(frozen=True)
class DeleteChoices:
    delete: bool  # the normal delete (again, after a failed one)
    force: bool  # remove it even if its site cannot confirm: only once a delete is stuck
    reset: bool  # a delete in progress that nothing advances back to DELETE_FAILED


def delete_choices(dep: Deployment, now: datetime | None = None) -> DeleteChoices:
    if dep.locked:
        return DeleteChoices(False, False, False)
    if dep.status == "DELETE_FAILED":
        return DeleteChoices(True, True, False)
    if dep.status == "DELETE_IN_PROGRESS":
        stuck = is_stuck(dep, now or datetime.now(UTC))
        return DeleteChoices(False, stuck, stuck)
    return DeleteChoices(True, False, False)


def is_stuck(dep: Deployment, now: datetime) -> bool:
    updated = dep.updated_at
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=UTC)
    return now - updated > STUCK_AFTER


def return_path(wanted: str, done: str) -> str | None:
    """The list a delete was asked from (its search and page kept), saying ``done``;
    ``None`` unless it is one of ours."""
    parts = urlsplit(wanted)
    if parts.scheme or parts.netloc or parts.path not in LISTS:
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "done"]
    return parts.path + "?" + urlencode([*query, ("done", done)])


@dataclass(frozen=True)
class Deleted:
    created: datetime
    deleted: datetime | None


def deleted_of(s, dep_id: str, caller: Identity) -> Deleted | None:
    """When the caller's deployment ``dep_id``, now gone, was created and deleted.

    Read from the audit trail; ``None`` when it never was the caller's (an admin
    sees any), so a page tells nobody else that the id existed.
    """
    found = select(AuditEvent).where(
        AuditEvent.target == dep_id,
        AuditEvent.action.in_(("deployment-create", "deployment-delete")),
    )
    events = {e.action: e for e in s.scalars(found.order_by(AuditEvent.id))}
    created = events.get("deployment-create")
    if created is None or not (caller.is_admin or created.actor == caller.key):
        return None
    gone = events.get("deployment-delete")
    return Deleted(created.at, gone.at if gone else None)

"""The audit trail: who created, changed or deleted what, logins and key changes."""

from __future__ import annotations

import logging

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cumulo.auth.identity import Identity
from cumulo.store.account_models import AuditEvent
from cumulo.store.db import utcnow
from cumulo.store.direct import Tx

log = logging.getLogger("cumulo.audit")
# A core INSERT, built once: every create request writes one, and the ORM's unit of
# work cost more than the statement (nothing reads the row back in that transaction).
INSERT_AUDIT_EVENT = insert(AuditEvent.__table__)


def record(
    s: Tx,
    actor: Identity | str,
    action: str,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    """Add an audit event in the caller's transaction (``detail`` must hold no secret)."""
    who = actor.key if isinstance(actor, Identity) else actor
    row = {"at": utcnow(), "actor": who, "action": action, "target": target, "detail": detail}
    s.connection().execute(INSERT_AUDIT_EVENT, row)
    log.info("audit: %s %s %s", who, action, target or "")


def recent(s: Session, limit: int = 100, before_id: int | None = None) -> list[AuditEvent]:
    q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        q = q.where(AuditEvent.id < before_id)
    return list(s.scalars(q))

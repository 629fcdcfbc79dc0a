"""Recording events: the deployment's append-only history (feeds ``/log``).

The hot path records several events per step; they are kept on the session and
written by one core ``INSERT`` (an executemany, no ORM bookkeeping) after each
flush, so they land in the caller's transaction, after the rows they refer to
(a new deployment's row is flushed before its first event) and in the order
recorded; the commit flushes the ones recorded since.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from cumulo.store.db import utcnow
from cumulo.store.direct import DirectTx, Tx
from cumulo.store.models import Deployment, Event

INSERT_EVENTS = insert(Event.__table__)  # built once
_PENDING = "cumulo.pending_events"  # key in ``Session.info``


def record(
    session: Tx,
    deployment_id: str,
    kind: str,
    message: str,
    node: str | None = None,
) -> None:
    row = {"deployment_id": deployment_id, "at": utcnow(), "kind": kind, "node": node}
    pending: list[dict[str, Any]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        if isinstance(session, DirectTx):  # no Session events: written before its commit
            session.before_commit.append(_write_pending)
    pending.append({**row, "message": message})


def _write_pending(session: Tx) -> None:
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.connection().execute(INSERT_EVENTS, rows)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """A deployment deleted in this flush takes its events with it (ON DELETE CASCADE)."""
    pending = session.info.get(_PENDING)
    gone = pending and {o.id for o in session.deleted if isinstance(o, Deployment)}
    if gone:
        pending[:] = [row for row in pending if row["deployment_id"] not in gone]


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    _write_pending(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_PENDING):
        session.flush()  # the rows the events refer to, then the events (after_flush)
        _write_pending(session)  # a session with nothing else to flush


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def format_event(ev: Event) -> str:
    """One line of a deployment's log: ``2026-01-01T00:00:00.000Z [kind] node: message``."""
    stamp = ev.at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    where = f" {ev.node}:" if ev.node else ""
    return f"{stamp} [{ev.kind}]{where} {ev.message}"

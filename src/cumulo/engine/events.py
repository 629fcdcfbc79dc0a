"""Recording events: the deployment's append-only history (feeds ``/log``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cumulo.store.models import Event


def record(
    session: Session, deployment_id: str, kind: str, message: str, node: str | None = None
) -> None:
    session.add(Event(deployment_id=deployment_id, kind=kind, node=node, message=message))


def format_event(ev: Event) -> str:
    """One line of a deployment's log: ``2026-01-01T00:00:00.000Z [kind] node: message``."""
    stamp = ev.at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    where = f" {ev.node}:" if ev.node else ""
    return f"{stamp} [{ev.kind}]{where} {ev.message}"

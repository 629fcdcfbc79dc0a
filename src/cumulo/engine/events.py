"""Recording events: the deployment's append-only history (feeds ``/log``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cumulo.store.models import Event


def record(
    session: Session, deployment_id: str, kind: str, message: str, node: str | None = None
) -> None:
    session.add(Event(deployment_id=deployment_id, kind=kind, node=node, message=message))

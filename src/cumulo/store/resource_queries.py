"""Reading a deployment's resources and events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cumulo.store.models import Event, Resource

RESOURCE_SORT_COLUMNS = {
    "createdAt": "created_at",
    "creationTime": "created_at",
    "toscaNodeName": "node_name",
    "state": "state",
}


def page_of_resources(
    s: Session,
    deployment_id: str,
    node_type: str | None,
    number: int,
    size: int,
    sort_column: str,
    descending: bool,
) -> tuple[Sequence[Resource], int]:
    where = [Resource.deployment_id == deployment_id]
    if node_type:
        where.append(Resource.node_type == node_type)
    column = getattr(Resource, sort_column)
    order = (
        [column.desc(), Resource.node_name, Resource.node_index]
        if descending
        else [column, Resource.node_name, Resource.node_index]
    )
    total = s.scalar(select(func.count()).select_from(Resource).where(*where)) or 0
    rows = s.scalars(
        select(Resource).where(*where).order_by(*order).offset(number * size).limit(size)
    ).all()
    return rows, total


def resource_of(s: Session, deployment_id: str, resource_id: str) -> Resource | None:
    return s.scalars(
        select(Resource).where(Resource.deployment_id == deployment_id, Resource.id == resource_id)
    ).first()


def events_of(
    s: Session, deployment_id: str, after: int = 0, limit: int | None = None
) -> Sequence[Event]:
    """The deployment's events in order; only those with an id above ``after``."""
    query = select(Event).where(Event.deployment_id == deployment_id, Event.id > after)
    return s.scalars(query.order_by(Event.id).limit(limit)).all()

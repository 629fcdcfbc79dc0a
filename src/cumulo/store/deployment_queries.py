"""Reading deployments: one by id, and pages of them (newest first by default)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, defer

from cumulo.store.models import Deployment, Site

# A page of a listing never loads what may be large per row (a template is up to 1 MiB):
# reading one of these on a row of the page raises instead of loading it silently.
LISTING_DEFERRED = tuple(
    defer(column, raiseload=True)
    for column in (Deployment.template, Deployment.parameters, Deployment.scheduling)
)

# API sort names -> columns (INDIGO's Spring names and ours).
SORT_COLUMNS = {
    "createdAt": "created_at",
    "creationTime": "created_at",
    "updatedAt": "updated_at",
    "updateTime": "updated_at",
    "status": "status",
}


@dataclass(frozen=True)
class DeploymentFilter:
    owner: tuple[str, str] | None = None  # (subject, issuer)
    user_group: str | None = None
    # Only what this caller may see: (subject, issuer, groups); None: everything (admins).
    visible_to: tuple[str, str, frozenset[str]] | None = None


def where_clauses(f: DeploymentFilter) -> list:  # type: ignore[type-arg]
    clauses = []
    if f.owner is not None:
        clauses += [Deployment.owner_subject == f.owner[0], Deployment.owner_issuer == f.owner[1]]
    if f.user_group is not None:
        clauses.append(Deployment.user_group == f.user_group)
    if f.visible_to is not None:
        subject, issuer, groups = f.visible_to
        mine = and_(Deployment.owner_subject == subject, Deployment.owner_issuer == issuer)
        clauses.append(or_(mine, Deployment.user_group.in_(sorted(groups))) if groups else mine)
    return clauses


def page_of_deployments(
    s: Session, f: DeploymentFilter, number: int, size: int, sort_column: str, descending: bool
) -> tuple[Sequence[Deployment], int]:
    """One page and the total count; ordered with ``id`` as tie-breaker (uses an index)."""
    column = getattr(Deployment, sort_column)
    order = [column.desc(), Deployment.id.desc()] if descending else [column, Deployment.id]
    where = where_clauses(f)
    total = s.scalar(select(func.count()).select_from(Deployment).where(*where)) or 0
    rows = s.scalars(
        select(Deployment)
        .options(*LISTING_DEFERRED)
        .where(*where)
        .order_by(*order)
        .offset(number * size)
        .limit(size)
    ).all()
    return rows, total


def sites_by_name(s: Session, names: set[str]) -> dict[str, Site]:
    if not names:
        return {}
    return {site.name: site for site in s.scalars(select(Site).where(Site.name.in_(names)))}

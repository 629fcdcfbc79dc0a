"""Reading for the dashboard: sites, deployments with a text search, statistics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cumulo.store.account_models import User
from cumulo.store.deployment_queries import DeploymentFilter, where_clauses
from cumulo.store.models import Attempt, Deployment, Site


def all_sites(s: Session) -> Sequence[Site]:
    return s.scalars(select(Site).order_by(Site.name)).all()


def _search(text: str) -> list:  # type: ignore[type-arg]
    needle = text.strip()
    if not needle:
        return []
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    columns = (Deployment.id, Deployment.description, Deployment.status, Deployment.site_name)
    return [or_(*(c.ilike(like, escape="\\") for c in columns))]


def search_deployments(
    s: Session, f: DeploymentFilter, text: str, number: int, size: int
) -> tuple[Sequence[Deployment], int]:
    """A page of deployments (newest first) whose id, description, status or site has ``text``."""
    where = [*where_clauses(f), *_search(text)]
    total = s.scalar(select(func.count()).select_from(Deployment).where(*where)) or 0
    rows = s.scalars(
        select(Deployment)
        .where(*where)
        .order_by(Deployment.created_at.desc(), Deployment.id.desc())
        .offset(number * size)
        .limit(size)
    ).all()
    return rows, total


def attempts_of(s: Session, deployment_id: str) -> Sequence[Attempt]:
    return s.scalars(
        select(Attempt).where(Attempt.deployment_id == deployment_id).order_by(Attempt.number)
    ).all()


def statuses_since(s: Session, since: datetime | None = None) -> dict[str, str]:
    """id -> status of the deployments changed after ``since`` (all when None)."""
    q = select(Deployment.id, Deployment.status)
    if since is not None:
        q = q.where(Deployment.updated_at > since)
    return {row.id: row.status for row in s.execute(q)}


@dataclass(frozen=True)
class Counts:
    by_status: dict[str, int]
    by_site: dict[str, int]
    by_day_status: list[tuple[str, str, int]]  # (YYYY-MM-DD, status, count)


def counts(s: Session) -> Counts:
    """Deployments per status, per site, and created per day and status."""
    by_status: dict[str, int] = {
        st: n
        for st, n in s.execute(
            select(Deployment.status, func.count()).group_by(Deployment.status)
        ).all()
    }
    site = func.coalesce(Deployment.site_name, "(none)")
    by_site: dict[str, int] = {
        name: n for name, n in s.execute(select(site, func.count()).group_by(site)).all()
    }
    per_day: dict[tuple[str, str], int] = {}
    for created, status in s.execute(select(Deployment.created_at, Deployment.status)):
        key = (created.strftime("%Y-%m-%d"), status)
        per_day[key] = per_day.get(key, 0) + 1
    rows = sorted((day, status, n) for (day, status), n in per_day.items())
    return Counts(by_status=by_status, by_site=by_site, by_day_status=rows)


def create_latencies(s: Session, limit: int = 500) -> list[tuple[datetime, float]]:
    """(started, seconds) of the latest successful attempts: how long a create took."""
    q = (
        select(Attempt.started_at, Attempt.ended_at)
        .where(Attempt.status == "SUCCEEDED", Attempt.ended_at.is_not(None))
        .order_by(Attempt.id.desc())
        .limit(limit)
    )
    out = [(a, (b - a).total_seconds()) for a, b in s.execute(q)]
    return sorted(out)


def users_and_groups(s: Session) -> tuple[Sequence[User], dict[str, int]]:
    """Every known user (local accounts and OIDC users seen), and each group's member count."""
    users = s.scalars(select(User).order_by(User.name, User.issuer)).all()
    groups: dict[str, int] = {}
    for user in users:
        for group in user.groups or []:
            groups[group] = groups.get(group, 0) + 1
    return users, dict(sorted(groups.items()))

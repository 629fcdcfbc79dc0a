"""Admin: sites with health and quota usage, all deployments, statistics with plots, and
the catalogue (each entry's folder and its issues)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.catalogue.library import catalogue_for
from cumulo.engine.requests.site_views import site_json, usage_by_site
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.registry import list_sites
from cumulo.errors import Forbidden
from cumulo.store.dashboard_queries import counts, create_latencies, users_and_groups
from cumulo.store.deployment_queries import DeploymentFilter
from cumulo.web import charts
from cumulo.web.render import page
from cumulo.web.routes.deployments import listing
from cumulo.web.session import web_user

router = APIRouter()
QUOTA_KEYS = (("instances", "Instances"), ("cores", "Cores"), ("ram_mb", "RAM (MB)"),
              ("volume_gb", "Volumes (GB)"))  # fmt: skip


def admin_user(user: Identity = Depends(web_user)) -> Identity:
    if not user.is_admin:
        raise Forbidden("only administrators may see this page")
    return user


def _site_rows(engine: Engine) -> list[dict[str, Any]]:
    usage = usage_by_site(engine)
    with engine.db.session() as s:
        sites = [site_json(x, "", usage.get(x.name)) for x in list_sites(s)]
    for site in sites:
        quotas = site.get("quotas") or {}
        site["meters"] = [
            {"label": label, "used": site["usage"].get(key, 0), "limit": quotas.get(key)}
            for key, label in QUOTA_KEYS
        ]
    return sites


@router.get("/admin", response_class=HTMLResponse)
def admin_home(
    request: Request, engine: Engine = Depends(get_engine), user: Identity = Depends(admin_user)
) -> HTMLResponse:
    with engine.db.session() as s:
        c = counts(s)
        latencies = create_latencies(s)
    per_day, statuses = charts.stacked_by_day(
        "Deployments created per day, by status", c.by_day_status
    )
    by_site = sorted(c.by_site.items())
    seconds = [v for _, v in latencies]
    stats = {
        "by_status": sorted(c.by_status.items()),
        "by_site": by_site,
        "per_day_chart": per_day,
        "legend": [(st, charts.colour(st)) for st in statuses],
        "status_chart": charts.bars(
            "Deployments by status",
            sorted(c.by_status.items()),
            [charts.colour(st) for st, _ in sorted(c.by_status.items())],
        ),
        "site_chart": charts.bars("Deployments by site", by_site),
        "latency_chart": charts.points_over_time("Create latency of recent deployments", latencies),
        "latency": {
            "n": len(seconds),
            "p50": charts.percentile(seconds, 0.5),
            "p95": charts.percentile(seconds, 0.95),
        },
    }
    with engine.db.session() as s:
        users, groups = users_and_groups(s)
    ctx = {"sites": _site_rows(engine), "stats": stats, "users": users, "groups": groups}
    return page(request, "admin.html", ctx, user=user)


@router.get("/admin/deployments", response_class=HTMLResponse)
def all_deployments(
    request: Request,
    q: str = "",
    page_number: int = Query(0, alias="page"),
    size: int = 25,
    engine: Engine = Depends(get_engine),
    user: Identity = Depends(admin_user),
) -> HTMLResponse:
    ctx = listing(engine, DeploymentFilter(), q, page_number, size)
    return page(
        request, "deployments.html", {**ctx, "title": "All deployments", "show_owner": True},
        user=user,
    )  # fmt: skip


@router.get("/admin/catalogue", response_class=HTMLResponse)
def catalogue_entries(
    request: Request, engine: Engine = Depends(get_engine), user: Identity = Depends(admin_user)
) -> HTMLResponse:
    """Every entry, broken ones too, with where it comes from and what is wrong with it."""
    cat = catalogue_for(engine)
    snapshot = cat.snapshot()
    ctx = {"entries": list(snapshot.entries.values()), "refused": snapshot.refused,
           "folders": cat.folders}  # fmt: skip
    return page(request, "admin_catalogue.html", ctx, user=user)

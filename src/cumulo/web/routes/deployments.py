"""My deployments (search, paging, live status) and a deployment's details and actions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.engine.events import format_event
from cumulo.engine.indigo_json import waiting_reason
from cumulo.engine.requests.deployments import (
    NewDeployment,
    create_deployment,
    not_found,
    request_delete,
    set_locked,
)
from cumulo.engine.runtime import Engine
from cumulo.engine.sensitive_inputs import unseal
from cumulo.errors import NotFound
from cumulo.store.dashboard_queries import attempts_of, search_deployments
from cumulo.store.deployment_queries import DeploymentFilter
from cumulo.store.models import Deployment
from cumulo.store.resource_queries import events_of, page_of_resources
from cumulo.web.deleting import delete_choices, deleted_of, return_path
from cumulo.web.details import (
    current_values,
    describe_inputs,
    describe_outputs,
    form_fields,
    ssh_command,
    update_fields,
)
from cumulo.web.form_values import TABLE_WIDGETS, display_values, table_columns
from cumulo.web.render import page
from cumulo.web.session import checked_form, web_user

router = APIRouter()
PAGE_SIZES = (10, 25, 50, 100)


def owned(dep: Deployment, caller: Identity) -> bool:
    return caller.is_admin or (dep.owner_subject, dep.owner_issuer) == (
        caller.subject,
        caller.issuer,
    )


def load_for(engine: Engine, dep_id: str, caller: Identity) -> Deployment:
    """The caller's deployment; one 404 for "not yours" and "does not exist", as the
    API answers, so no page tells whether someone else's id exists."""
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None or not owned(dep, caller):
            raise not_found(dep_id)
        return dep


def listing(
    engine: Engine, flt: DeploymentFilter, q: str, number: int, size: int
) -> dict[str, Any]:
    """What the deployments table shows: one page, the total and the pager's numbers."""
    size = size if size in PAGE_SIZES else PAGE_SIZES[0]
    with engine.db.session() as s:
        rows, total = search_deployments(s, flt, q, max(number, 0), size)
    pages = max((total + size - 1) // size, 1)
    return {"rows": rows, "total": total, "page": number, "pages": pages, "size": size, "q": q}


@router.get("/deployments", response_class=HTMLResponse)
def my_deployments(
    request: Request,
    q: str = "",
    page_number: int = Query(0, alias="page"),
    size: int = 10,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
) -> HTMLResponse:
    flt = DeploymentFilter(owner=(caller.subject, caller.issuer))
    ctx = listing(engine, flt, q, page_number, size)
    return page(request, "deployments.html", {**ctx, "title": "My deployments"}, user=caller)


def details_page(
    request: Request,
    engine: Engine,
    caller: Identity,
    dep_id: str,
    *,
    update_errors: dict[str, str] | None = None,
    update_raw: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The deployment's page; after a refused update, with its messages and values."""
    dep = load_for(engine, dep_id, caller)
    with engine.db.session() as s:
        attempts = attempts_of(s, dep_id)
        resources, _ = page_of_resources(s, dep_id, None, 0, 1000, "node_name", False)
        events = events_of(s, dep_id)
        log = [format_event(e) for e in events]
        last_event = events[-1].id if events else 0
    fields = form_fields(engine, dep)
    # A deployment being deleted has nothing left to update.
    updatable = [] if dep.status.startswith("DELETE_") else update_fields(fields)
    raw = update_raw if update_raw is not None else current_values(dep, updatable)
    return page(
        request,
        "details.html",
        {
            "dep": dep,
            "reason": waiting_reason(dep) or dep.status_reason,
            "choices": delete_choices(dep),
            "attempts": attempts,
            "resources": resources,
            "log": log,
            "last_event": last_event,
            "inputs": describe_inputs(dep, fields),
            "outputs": describe_outputs(dep.outputs or {}),
            "ssh": ssh_command(dep.outputs or {}),
            "updatable": updatable,
            "update_values": display_values(updatable, raw),
            "update_columns": {
                f["name"]: table_columns(f) for f in updatable if f["widget"] in TABLE_WIDGETS
            },
            "update_errors": update_errors or {},
        },
        user=caller,
        status_code=status_code,
    )


@router.get("/deployments/{dep_id}", response_class=HTMLResponse)
def details(
    dep_id: str,
    request: Request,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
) -> HTMLResponse:
    try:
        return details_page(request, engine, caller, dep_id)
    except NotFound:
        with engine.db.session() as s:
            gone = deleted_of(s, dep_id, caller)
        if gone is None:
            raise
    context = {"dep_id": dep_id, "gone": gone, "title": "Deleted"}
    return page(request, "deleted.html", context, user=caller, status_code=410)


def updatable_fields(engine: Engine, dep: Deployment) -> list[dict[str, Any]]:
    return update_fields(form_fields(engine, dep))


def back(dep_id: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"/ui/deployments/{dep_id}?done={message}", status_code=303)


@router.post("/deployments/{dep_id}/delete")
def delete(
    dep_id: str,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
    form: FormData = Depends(checked_form),
) -> RedirectResponse:
    load_for(engine, dep_id, caller)
    request_delete(engine, dep_id, caller)
    # Deleting from a list stays on that list (same search, same page).
    listed = return_path(str(form.get("next") or ""), "delete")
    return RedirectResponse(listed, status_code=303) if listed else back(dep_id, "delete")


@router.post("/deployments/{dep_id}/lock")
def lock(
    dep_id: str,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
    form: FormData = Depends(checked_form),
) -> RedirectResponse:
    load_for(engine, dep_id, caller)
    locked = form.get("locked") == "true"
    set_locked(engine, dep_id, caller, locked)
    return back(dep_id, "lock" if locked else "unlock")


@router.post("/deployments/{dep_id}/retry")
async def retry(
    dep_id: str,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
    form: FormData = Depends(checked_form),
) -> RedirectResponse:
    """A new deployment from the same template and parameters (the failed one stays)."""
    dep = load_for(engine, dep_id, caller)
    new = NewDeployment(
        template=dep.template,
        parameters=unseal(engine, dep),
        timeout_mins=dep.timeout_mins,
        provider_timeout_mins=dep.provider_timeout_mins,
        max_providers_retry=dep.max_providers_retry,
        keep_last_attempt=dep.keep_last_attempt,
        user_group=dep.user_group,
        description=dep.description,
    )
    again = await run_in_threadpool(create_deployment, engine, new, caller)
    return RedirectResponse(f"/ui/deployments/{again.id}?done=retry", status_code=303)

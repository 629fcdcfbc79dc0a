"""``/deployments``: create, list, show, delete, template and log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import ValidationError

from cumulo.api.deps import base_url, current_identity
from cumulo.api.errors import describe_validation_errors
from cumulo.api.json_body import read_json_object
from cumulo.api.paging import page_request, paged
from cumulo.api.schemas import ERROR_RESPONSES, DeploymentOut, DeploymentPage, DeploymentRequest
from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.auth.permissions import require_group, require_visible
from cumulo.engine.events import format_event
from cumulo.engine.indigo_json import deployment_json
from cumulo.engine.requests.deployments import NewDeployment, create_deployment, request_delete
from cumulo.engine.runtime import Engine
from cumulo.errors import BadRequest
from cumulo.store.deployment_queries import (
    SORT_COLUMNS,
    DeploymentFilter,
    page_of_deployments,
    sites_by_name,
)
from cumulo.store.models import Deployment
from cumulo.store.resource_queries import events_of

router = APIRouter(prefix="/deployments", tags=["deployments"], responses=ERROR_RESPONSES)

_BODY_SCHEMA = {
    "required": True,
    "content": {"application/json": {"schema": DeploymentRequest.model_json_schema()}},
}


def _owner_filter(created_by: str | None, caller: Identity) -> tuple[str, str] | None:
    if not created_by:
        return None
    if created_by == "me":
        return (caller.subject, caller.issuer)
    subject, sep, issuer = created_by.partition("@")
    if not sep or not subject or not issuer:
        raise BadRequest("query parameter 'createdBy' must be 'me' or 'subject@issuer'")
    return (subject, issuer)


@router.get("", response_model=DeploymentPage, summary="List deployments, newest first")
def list_deployments(
    request: Request,
    createdBy: str | None = None,
    userGroup: str | None = None,
    page: int | None = None,
    size: int | None = None,
    sort: str | None = None,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> JSONResponse:
    req = page_request(page, size, sort, SORT_COLUMNS, "createdAt")
    flt = DeploymentFilter(
        owner=_owner_filter(createdBy, caller),
        user_group=userGroup,
        visible_to=None if caller.is_admin else (caller.subject, caller.issuer, caller.groups),
    )
    base = base_url(request)
    with engine.db.reader() as s:
        rows, total = page_of_deployments(
            s, flt, req.number, req.size, req.sort_field, req.descending
        )
        sites = sites_by_name(s, {d.site_name for d in rows if d.site_name})
        content = [deployment_json(d, base, sites.get(d.site_name or "")) for d in rows]
    query = {"createdBy": createdBy, "userGroup": userGroup}
    return JSONResponse(paged(content, total, req, f"{base}/deployments", query))


async def new_deployment_from(request: Request, caller: Identity) -> NewDeployment:
    """The request's body as a ``NewDeployment`` (also what a dry run schedules)."""
    body = await read_json_object(request)
    try:
        req = DeploymentRequest.model_validate(body)
    except ValidationError as exc:
        raise BadRequest(describe_validation_errors(list(exc.errors()))) from exc
    require_group(caller, req.userGroup)
    return NewDeployment(
        template=req.template,
        parameters=req.parameters or {},
        callback=req.callback,
        timeout_mins=req.timeoutMins,
        provider_timeout_mins=req.providerTimeoutMins,
        max_providers_retry=req.maxProvidersRetry,
        keep_last_attempt=req.keepLastAttempt,
        user_group=req.userGroup,
        site=req.site,
    )


@router.post(
    "",
    status_code=201,
    response_model=DeploymentOut,
    summary="Create a deployment",
    openapi_extra={"requestBody": _BODY_SCHEMA},
)
async def create(
    request: Request,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> JSONResponse:
    new = await new_deployment_from(request, caller)
    dep = await run_in_threadpool(create_deployment, engine, new, caller)
    body_out = deployment_json(dep, base_url(request))
    return JSONResponse(
        body_out, status_code=201, headers={"Location": body_out["links"][0]["href"]}
    )


def load(engine: Engine, dep_id: str, caller: Identity) -> Deployment:
    """The deployment if the caller may see it (404 otherwise)."""
    with engine.db.reader() as s:
        dep = s.get(Deployment, dep_id)
        require_visible(caller, dep, dep_id)
        return dep


@router.get("/{dep_id}", response_model=DeploymentOut, summary="Show a deployment")
def show(
    dep_id: str,
    request: Request,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> JSONResponse:
    with engine.db.reader() as s:
        dep = s.get(Deployment, dep_id)
        require_visible(caller, dep, dep_id)
        sites = sites_by_name(s, {dep.site_name} if dep.site_name else set())
        return JSONResponse(deployment_json(dep, base_url(request), sites.get(dep.site_name or "")))


@router.delete("/{dep_id}", status_code=204, summary="Delete a deployment and its resources")
def delete(
    dep_id: str,
    force: bool = False,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> Response:
    """``force``: the deployment goes even if its site cannot remove everything."""
    request_delete(engine, dep_id, caller, force=force)
    return Response(status_code=204)


@router.get(
    "/{dep_id}/template",
    response_class=PlainTextResponse,
    summary="The TOSCA template as submitted",
)
def template(
    dep_id: str,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> PlainTextResponse:
    return PlainTextResponse(load(engine, dep_id, caller).template)


@router.get("/{dep_id}/log", response_class=PlainTextResponse, summary="The deployment's log")
def log(
    dep_id: str,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> PlainTextResponse:
    with engine.db.session() as s:
        require_visible(caller, s.get(Deployment, dep_id), dep_id)
        lines = [format_event(ev) for ev in events_of(s, dep_id)]
    return PlainTextResponse("\n".join(lines) + ("\n" if lines else ""))

"""``/deployments/{id}``: update (PUT), reset of a stuck delete (PATCH), extra info,
and start/stop actions on compute resources."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select

from cumulo.api.deps import base_url, current_identity
from cumulo.api.errors import describe_validation_errors
from cumulo.api.json_body import read_json_object
from cumulo.api.schemas import ERROR_RESPONSES, DeploymentOut, DeploymentUpdateRequest
from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.auth.permissions import require_visible
from cumulo.engine.indigo_json import deployment_json, format_time
from cumulo.engine.requests.changes import (
    DeploymentUpdate,
    request_action,
    request_update,
    reset_delete,
)
from cumulo.engine.runtime import Engine
from cumulo.errors import BadRequest
from cumulo.store.models import Deployment, Resource

router = APIRouter(prefix="/deployments/{dep_id}", tags=["deployments"], responses=ERROR_RESPONSES)

_SECRET_HINTS = ("password", "private", "token", "secret")


class StatusPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str


async def _validated(request: Request, model: type[BaseModel]) -> Any:
    body = await read_json_object(request)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise BadRequest(describe_validation_errors(list(exc.errors()))) from exc


@router.put(
    "",
    status_code=202,
    response_model=DeploymentOut,
    summary="Update a deployment: new template and/or parameters (merged over the stored ones)",
)
async def update(
    dep_id: str,
    request: Request,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> JSONResponse:
    req: DeploymentUpdateRequest = await _validated(request, DeploymentUpdateRequest)
    change = DeploymentUpdate(
        template=req.template,
        parameters=req.parameters or {},
        callback=req.callback,
        timeout_mins=req.timeoutMins,
        provider_timeout_mins=req.providerTimeoutMins,
        max_providers_retry=req.maxProvidersRetry,
        keep_last_attempt=req.keepLastAttempt,
    )
    dep = await run_in_threadpool(request_update, engine, dep_id, change, caller)
    return JSONResponse(deployment_json(dep, base_url(request)), status_code=202)


@router.patch("", status_code=204, summary='Reset a stuck delete: {"status": "DELETE_FAILED"}')
async def patch(
    dep_id: str,
    request: Request,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> Response:
    req: StatusPatch = await _validated(request, StatusPatch)
    await run_in_threadpool(reset_delete, engine, dep_id, req.status, caller)
    return Response(status_code=204)


@router.post(
    "/resources/{rid}/actions",
    status_code=202,
    summary='Start or stop a compute resource: {"type": "start"} or {"type": "stop"}',
)
async def action(
    dep_id: str,
    rid: str,
    request: Request,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> Response:
    req: ActionRequest = await _validated(request, ActionRequest)
    await run_in_threadpool(request_action, engine, dep_id, rid, req.type, caller)
    return Response(status_code=202)


@router.get("/extrainfo", summary="Per-node information: addresses, ports, state, site")
def extrainfo(
    dep_id: str,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> JSONResponse:
    with engine.db.session() as s:
        require_visible(caller, s.get(Deployment, dep_id), dep_id)
        rows = s.scalars(
            select(Resource)
            .where(Resource.deployment_id == dep_id, Resource.physical_id.is_not(None))
            .order_by(Resource.node_name, Resource.node_index)
        ).all()
        info = [
            {
                "uuid": r.id,
                "toscaNodeName": r.node_name,
                "nodeIndex": r.node_index,
                "toscaNodeType": r.node_type,
                "physicalId": r.physical_id,
                "state": r.state,
                "site": r.site_name,
                "updateTime": format_time(r.updated_at),
                "vmProperties": _shown(r.attributes or {}),
            }
            for r in rows
        ]
    return JSONResponse(info)


def _shown(attrs: dict[str, Any]) -> dict[str, Any]:
    """Runtime attributes without passwords, keys or tokens (credentials' users are kept)."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if any(h in key.lower() for h in _SECRET_HINTS):
            continue
        out[key] = _shown(value) if isinstance(value, dict) else value
    return out

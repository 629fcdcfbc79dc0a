"""Where a deployment goes and why: its scheduling decision, and a dry run for a request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from cumulo.api.deps import current_identity
from cumulo.api.routers.deployments import new_deployment_from
from cumulo.api.schemas import ERROR_RESPONSES, DeploymentRequest
from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.auth.permissions import require_visible
from cumulo.engine.requests.deployments import explain_placement, scheduling_of
from cumulo.engine.runtime import Engine
from cumulo.store.models import Deployment

router = APIRouter(tags=["scheduling"], responses=ERROR_RESPONSES)
_BODY = {"content": {"application/json": {"schema": DeploymentRequest.model_json_schema()}}}


@router.get(
    "/deployments/{dep_id}/scheduling",
    summary="The deployment's scheduling decision: every site's verdict and reason",
)
def deployment_scheduling(
    dep_id: str,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> Any:
    with engine.db.session() as s:
        require_visible(caller, s.get(Deployment, dep_id), dep_id)
    return scheduling_of(engine, dep_id)


@router.post(
    "/scheduling",
    summary="Dry run: where a deployment request would go and why, without deploying",
    openapi_extra={"requestBody": _BODY},
)
async def dry_run(
    request: Request,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> Any:
    new = await new_deployment_from(request, caller)
    return await run_in_threadpool(explain_placement, engine, new)

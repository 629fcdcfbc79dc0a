"""``/deployments/{id}/resources``: the node instances of a deployment."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from cumulo.api.deps import base_url, current_identity
from cumulo.api.paging import page_request, paged
from cumulo.api.schemas import ERROR_RESPONSES, ResourceOut, ResourcePage
from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.auth.permissions import require_visible
from cumulo.engine.indigo_json import resource_json
from cumulo.engine.runtime import Engine
from cumulo.errors import NotFound
from cumulo.store.models import Deployment
from cumulo.store.resource_queries import RESOURCE_SORT_COLUMNS, page_of_resources, resource_of

router = APIRouter(
    prefix="/deployments/{dep_id}/resources", tags=["resources"], responses=ERROR_RESPONSES
)


@router.get("", response_model=ResourcePage, summary="List a deployment's resources")
def list_resources(
    dep_id: str,
    request: Request,
    type: str | None = None,
    page: int | None = None,
    size: int | None = None,
    sort: str | None = None,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> JSONResponse:
    req = page_request(page, size, sort, RESOURCE_SORT_COLUMNS, "createdAt")
    base = base_url(request)
    with engine.db.session() as s:
        require_visible(caller, s.get(Deployment, dep_id), dep_id)
        rows, total = page_of_resources(
            s, dep_id, type, req.number, req.size, req.sort_field, req.descending
        )
        content = [resource_json(r, base) for r in rows]
    url = f"{base}/deployments/{dep_id}/resources"
    return JSONResponse(paged(content, total, req, url, {"type": type}))


@router.get("/{rid}", response_model=ResourceOut, summary="Show one resource")
def show_resource(
    dep_id: str,
    rid: str,
    request: Request,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> JSONResponse:
    with engine.db.session() as s:
        require_visible(caller, s.get(Deployment, dep_id), dep_id)
        res = resource_of(s, dep_id, rid)
        if res is None:
            raise NotFound(f"The resource <{rid}> in deployment <{dep_id}> doesn't exist")
        return JSONResponse(resource_json(res, base_url(request)))

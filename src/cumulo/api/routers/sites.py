"""``/sites`` and ``/slas``: the site registry (admins only), with health and usage."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from cumulo.api.deps import base_url, require_admin
from cumulo.api.json_body import read_json_object
from cumulo.api.schemas import ERROR_RESPONSES
from cumulo.app_state import get_engine
from cumulo.engine.requests.site_views import site_json, usage_by_site
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import SiteDef, SlaDef
from cumulo.engine.sites.health import probe_site
from cumulo.engine.sites.registry import (
    describe,
    get_site,
    get_sla,
    list_sites,
    list_slas,
    remove_site,
    remove_sla,
    save_site,
    save_sla,
)
from cumulo.errors import BadRequest
from cumulo.store.models import Sla as SlaRow

router = APIRouter(tags=["sites"], responses=ERROR_RESPONSES, dependencies=[Depends(require_admin)])


async def _body(request: Request, model: type[BaseModel], name: str | None = None) -> Any:
    body = await read_json_object(request)
    if name is not None:
        key = "name" if model is SiteDef else "id"
        if body.setdefault(key, name) != name:
            raise BadRequest(f"{key}: {body[key]!r} differs from the URL's {name!r}")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise BadRequest(describe(exc)) from None


def sla_json(row: SlaRow, base: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "group": row.group_name,
        "site": row.site_name,
        "priority": row.priority,
        "limits": row.limits or {},
        "start": row.starts_on.isoformat() if row.starts_on else None,
        "end": row.ends_on.isoformat() if row.ends_on else None,
        "links": [{"rel": "self", "href": f"{base}/slas/{row.id}"}],
    }


@router.get("/sites", summary="List the sites (removed ones with ?all=true)")
def sites(request: Request, all: bool = False, engine: Engine = Depends(get_engine)) -> Any:
    usage = usage_by_site(engine)
    with engine.db.session() as s:
        rows = list_sites(s, include_removed=all)
        return {"content": [site_json(x, base_url(request), usage.get(x.name)) for x in rows]}


@router.post("/sites", status_code=201, summary="Add a site")
async def add_site(request: Request, engine: Engine = Depends(get_engine)) -> JSONResponse:
    d = await _body(request, SiteDef)
    site = await run_in_threadpool(save_site, engine, d)
    body = site_json(site, base_url(request))
    return JSONResponse(body, status_code=201, headers={"Location": body["links"][0]["href"]})


@router.put("/sites/{name}", summary="Add or replace a site")
async def put_site(name: str, request: Request, engine: Engine = Depends(get_engine)) -> Any:
    d = await _body(request, SiteDef, name)
    site = await run_in_threadpool(lambda: save_site(engine, d, replace=True))
    return site_json(site, base_url(request), usage_by_site(engine).get(name))


@router.get("/sites/{name}", summary="Show a site with its health and usage")
def show_site(name: str, request: Request, engine: Engine = Depends(get_engine)) -> Any:
    usage = usage_by_site(engine).get(name)
    with engine.db.session() as s:
        return site_json(get_site(s, name), base_url(request), usage)


@router.delete("/sites/{name}", status_code=204, summary="Remove a site (kept as removed)")
def delete_site(name: str, engine: Engine = Depends(get_engine)) -> Response:
    remove_site(engine.db, name)
    return Response(status_code=204)


@router.post("/sites/{name}/probe", summary="Probe a site's health now")
def probe(name: str, request: Request, engine: Engine = Depends(get_engine)) -> Any:
    site = probe_site(engine, name)
    return site_json(site, base_url(request), usage_by_site(engine).get(name))


@router.get("/slas", summary="List the SLAs (of one group with ?group=)")
def slas(request: Request, group: str | None = None, engine: Engine = Depends(get_engine)) -> Any:
    with engine.db.session() as s:
        return {"content": [sla_json(r, base_url(request)) for r in list_slas(s, group)]}


@router.post("/slas", status_code=201, summary="Add an SLA")
async def add_sla(request: Request, engine: Engine = Depends(get_engine)) -> JSONResponse:
    d = await _body(request, SlaDef)
    row = await run_in_threadpool(save_sla, engine.db, d)
    body = sla_json(row, base_url(request))
    return JSONResponse(body, status_code=201, headers={"Location": body["links"][0]["href"]})


@router.put("/slas/{sla_id}", summary="Add or replace an SLA")
async def put_sla(sla_id: str, request: Request, engine: Engine = Depends(get_engine)) -> Any:
    d = await _body(request, SlaDef, sla_id)
    row = await run_in_threadpool(lambda: save_sla(engine.db, d, replace=True))
    return sla_json(row, base_url(request))


@router.get("/slas/{sla_id}", summary="Show an SLA")
def show_sla(sla_id: str, request: Request, engine: Engine = Depends(get_engine)) -> Any:
    with engine.db.session() as s:
        return sla_json(get_sla(s, sla_id), base_url(request))


@router.delete("/slas/{sla_id}", status_code=204, summary="Remove an SLA")
def delete_sla(sla_id: str, engine: Engine = Depends(get_engine)) -> Response:
    remove_sla(engine.db, sla_id)
    return Response(status_code=204)

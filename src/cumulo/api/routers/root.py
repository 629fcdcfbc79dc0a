"""``GET /``, ``/info`` and ``/configuration``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from cumulo import __version__
from cumulo.api.deps import base_url
from cumulo.app_state import get_engine
from cumulo.engine.runtime import Engine
from cumulo.store.models import Site

router = APIRouter()


@router.get("/", response_class=PlainTextResponse, summary="The service's name")
def root() -> str:
    return "cumulo PaaS orchestrator"


@router.get("/info", summary="Build and version information")
def info() -> dict[str, Any]:
    return {"build": {"name": "cumulo", "artifact": "cumulo", "version": __version__}}


@router.get("/configuration", summary="Where the service's collaborators are")
def configuration(request: Request, engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    with engine.db.session() as s:
        sites = [
            {"name": x.name, "kind": x.kind, "status": x.status} for x in s.scalars(select(Site))
        ]
    base = base_url(request)
    return {"orchestrator_url": base, "openapi_url": f"{base}/openapi.json", "sites": sites}

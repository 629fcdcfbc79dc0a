"""Changing a deployment from its page: update of updatable inputs, force delete,
reset of a stuck delete, start and stop of a compute resource."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.engine.requests.changes import (
    DeploymentUpdate,
    request_action,
    request_update,
    reset_delete,
)
from cumulo.engine.requests.deployments import request_delete
from cumulo.engine.runtime import Engine
from cumulo.engine.states import Status
from cumulo.errors import ToscaError
from cumulo.web.form_values import merge_tosca_errors, parse_form
from cumulo.web.routes.deployments import back, details_page, load_for, updatable_fields
from cumulo.web.session import checked_form, web_user

router = APIRouter()


@router.post("/deployments/{dep_id}/update", response_class=HTMLResponse)
async def update(
    dep_id: str,
    request: Request,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
    form: FormData = Depends(checked_form),
) -> Response:
    """Merge the updatable inputs over the stored parameters and request the update."""
    dep = load_for(engine, dep_id, caller)
    fields = await run_in_threadpool(updatable_fields, engine, dep)
    parsed = parse_form(form, fields)
    errors = dict(parsed.errors)
    if not errors:
        change = DeploymentUpdate(parameters=parsed.parameters)
        try:
            await run_in_threadpool(request_update, engine, dep_id, change, caller)
        except ToscaError as exc:
            errors, general = merge_tosca_errors(exc.issues, fields)
            errors.update({"_": "; ".join(general)} if general else {})
        else:
            return back(dep_id, "update")
    return details_page(request, engine, caller, dep_id, update_errors=errors, status_code=400,
                        update_raw=parsed.raw)  # fmt: skip


@router.post("/deployments/{dep_id}/force-delete")
def force_delete(
    dep_id: str,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
    form: FormData = Depends(checked_form),
) -> RedirectResponse:
    load_for(engine, dep_id, caller)
    request_delete(engine, dep_id, caller, force=True)
    return back(dep_id, "delete")


@router.post("/deployments/{dep_id}/reset")
def reset(
    dep_id: str,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
    form: FormData = Depends(checked_form),
) -> RedirectResponse:
    load_for(engine, dep_id, caller)
    reset_delete(engine, dep_id, Status.DELETE_FAILED, caller)
    return back(dep_id, "reset")


@router.post("/deployments/{dep_id}/resources/{res_id}/{action}")
async def resource_action(
    dep_id: str,
    res_id: str,
    action: str,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
    form: FormData = Depends(checked_form),
) -> RedirectResponse:
    load_for(engine, dep_id, caller)
    await run_in_threadpool(request_action, engine, dep_id, res_id, action, caller)
    return back(dep_id, action)

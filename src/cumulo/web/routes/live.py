"""Server-sent events: statuses of the listed deployments, and one deployment's log.

Each stream reads the store twice a second and sends only what changed. A
stream ends after ``STREAM_SECONDS`` (the browser's EventSource reconnects at
once, resuming with ``Last-Event-ID``), so no connection outlives a restart
of the server for long.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.engine.events import format_event
from cumulo.engine.indigo_json import waiting_reason
from cumulo.engine.runtime import Engine
from cumulo.errors import BadRequest
from cumulo.store.models import Deployment
from cumulo.store.resource_queries import events_of
from cumulo.web.routes.deployments import load_for, owned
from cumulo.web.session import web_user

router = APIRouter()
POLL_SECONDS = 0.5
STREAM_SECONDS = 20.0
MAX_IDS = 100


def sse(event: str, data: Any, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


async def _stream(
    request: Request, poll: Callable[[], list[str]], first: str = "retry: 1000\n\n"
) -> AsyncIterator[str]:
    yield first
    ends = time.monotonic() + STREAM_SECONDS
    while time.monotonic() < ends:
        for chunk in await run_in_threadpool(poll):
            yield chunk
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL_SECONDS)


def _response(body: AsyncIterator[str]) -> StreamingResponse:
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


def _state(dep: Deployment | None) -> dict[str, Any]:
    if dep is None:
        return {"gone": True}
    reason = waiting_reason(dep) or dep.status_reason  # what it waits for, since when
    return {"status": dep.status, "reason": reason, "site": dep.site_name}


@router.get("/deployments/live")
def live_statuses(
    request: Request,
    ids: str = "",
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
) -> StreamingResponse:
    """``status`` events ``{id, status, reason, site}`` or ``{id, gone}`` as they change."""
    wanted = [i for i in ids.split(",") if i][:MAX_IDS]
    if any(len(i) > 36 for i in wanted):
        raise BadRequest("query parameter 'ids': deployment ids separated by commas")
    seen: dict[str, dict[str, Any]] = {}

    def poll() -> list[str]:
        with engine.db.session() as s:
            rows = {d.id: d for d in s.scalars(select(Deployment).where(Deployment.id.in_(wanted)))}
            now = {
                i: _state(rows[i] if i in rows and owned(rows[i], caller) else None) for i in wanted
            }
        out = [sse("status", {"id": i, **st}) for i, st in now.items() if seen.get(i) != st]
        seen.update(now)
        return out

    # The first poll sends every state, so a page rendered a moment ago catches up.
    return _response(_stream(request, poll))


@router.get("/deployments/{dep_id}/stream")
def deployment_stream(
    dep_id: str,
    request: Request,
    after: int = 0,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
) -> StreamingResponse:
    """``log`` events (one line each, id = the event's) and ``status`` events of one deployment."""
    load_for(engine, dep_id, caller)
    resume = request.headers.get("last-event-id", "")
    cursor = {"event": int(resume) if resume.isdigit() else max(after, 0), "state": None}

    def poll() -> list[str]:
        out = []
        with engine.db.session() as s:
            for ev in events_of(s, dep_id, cursor["event"], 500):
                out.append(sse("log", format_event(ev), str(ev.id)))
                cursor["event"] = ev.id
            state = _state(s.get(Deployment, dep_id))
        if state != cursor["state"]:
            out.append(sse("status", state))
            cursor["state"] = state
        return out

    return _response(_stream(request, poll))

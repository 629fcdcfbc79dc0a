"""``GET /deployments/{id}/stream``: the deployment's events, live, as server-sent events.

Ours, beside the INDIGO API: ``cumulo logs -f`` and the dashboard follow a
deployment with it instead of polling. Each event of the log is one SSE
message::

    id: 42
    event: status            (the event's kind: status, resource, driver, info, error)
    data: {"id": 42, "at": "...Z", "kind": "status", "node": null,
           "message": "status CREATE_IN_PROGRESS -> CREATE_COMPLETE",
           "status": "CREATE_COMPLETE", "line": "<the same line as /log>"}

``status`` is the deployment's status when the event was sent. The stream
resumes after ``Last-Event-ID`` (or ``?after=``), sends a ``: keep-alive``
comment every 15 s, and ends with an ``end`` message (``data: {"status": S}``)
once the deployment is in a final status (or gone: ``DELETE_COMPLETE``).
Events are read from the database, so every API process streams what any
worker records.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Depends, Header
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from cumulo.api.deps import current_identity
from cumulo.api.schemas import ERROR_RESPONSES
from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.auth.permissions import require_visible
from cumulo.engine.events import format_event
from cumulo.engine.requests.deployments import not_found
from cumulo.engine.runtime import Engine
from cumulo.engine.states import FINAL_STATUSES
from cumulo.store.models import Deployment
from cumulo.store.resource_queries import events_of

router = APIRouter(prefix="/deployments/{dep_id}", tags=["stream"], responses=ERROR_RESPONSES)

POLL_SECONDS = 0.1  # how often new events are looked for
KEEPALIVE_SECONDS = 15.0
BATCH = 500


def _read(engine: Engine, dep_id: str, after: int) -> tuple[str | None, list[dict[str, Any]]]:
    """The deployment's status (None: gone) and its events after ``after``."""
    with engine.db.session() as s:
        status = s.get(Deployment, dep_id)
        if status is None:
            return None, []
        events = [
            {
                "id": ev.id,
                "at": ev.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "kind": ev.kind,
                "node": ev.node,
                "message": ev.message,
                "status": status.status,
                "line": format_event(ev),
            }
            for ev in events_of(s, dep_id, after, BATCH)
        ]
        return status.status, events


def _message(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


@router.get("/stream", summary="Follow the deployment's events live (server-sent events)")
async def stream(
    dep_id: str,
    after: int = 0,
    last_event_id: str | None = Header(default=None),
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> StreamingResponse:
    with engine.db.session() as s:
        require_visible(caller, s.get(Deployment, dep_id), dep_id)
    if last_event_id and last_event_id.isdigit():
        after = max(after, int(last_event_id))
    status, first = await run_in_threadpool(_read, engine, dep_id, after)
    if status is None:
        raise not_found(dep_id)

    async def messages() -> AsyncIterator[str]:
        nonlocal after
        events, current = first, status
        quiet_since = time.monotonic()
        while True:
            for ev in events:
                after = ev["id"]
                yield _message(ev["kind"], ev, ev["id"])
            if events:
                quiet_since = time.monotonic()
            if current is None or current in FINAL_STATUSES:
                if len(events) < BATCH:  # everything up to the final status was sent
                    yield _message("end", {"status": current or "DELETE_COMPLETE"})
                    return
            elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                quiet_since = time.monotonic()
                yield ": keep-alive\n\n"
            if len(events) < BATCH:
                await asyncio.sleep(POLL_SECONDS)
            current, events = await run_in_threadpool(_read, engine, dep_id, after)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(messages(), media_type="text/event-stream", headers=headers)

"""``POST /ui/notify/<token>``: the engine's callback for "e-mail me when complete".

No session and no CSRF token: the caller is cumulo's own callback sender. A
mail is sent only for a real deployment whose callback is this very URL.
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from cumulo.app_state import get_engine
from cumulo.engine.runtime import Engine
from cumulo.errors import BadRequest, CumuloError, NotFound
from cumulo.store.models import Deployment
from cumulo.web.notify import NOTIFY_PATH, address_of, send_mail

router = APIRouter()
log = logging.getLogger(__name__)


@router.post("/notify/{token}")
async def notify(token: str, request: Request, engine: Engine = Depends(get_engine)) -> Response:
    try:
        address = address_of(engine, token)
        body = json.loads(await request.body())
        dep_id = str(body["uuid"])
    except CumuloError as exc:
        raise NotFound("no such notification") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("the body must be a deployment's JSON with its uuid") from exc
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        if dep is None or not (dep.callback or "").endswith(NOTIFY_PATH + token):
            raise NotFound("no such notification")
        name, status, reason = dep.description or dep.id, dep.status, dep.status_reason
    base = (engine.settings.public_url or str(request.base_url)).rstrip("/")
    text = f"Your deployment {name} is {status}.\n"
    if reason:
        text += f"\n{reason}\n"
    text += f"\nDetails: {base}/ui/deployments/{dep_id}\n"
    try:
        await run_in_threadpool(
            send_mail, engine.settings, address, f"cumulo: {name} is {status}", text
        )
    except OSError as exc:  # the sender retries with back-off
        log.warning("mail to the owner of %s not sent: %s", dep_id, exc)
        return Response(status_code=503)
    return Response(status_code=204)

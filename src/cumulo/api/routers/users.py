"""``/users/me`` (the caller), ``/users/me/keys`` (their SSH keys) and ``/audit`` (admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from cumulo.api.deps import current_identity, require_admin
from cumulo.api.json_body import read_json_object
from cumulo.api.schemas import ERROR_RESPONSES
from cumulo.app_state import get_engine
from cumulo.auth import audit
from cumulo.auth.accounts import user_row
from cumulo.auth.identity import Identity
from cumulo.auth.user_keys import (
    add_public_key,
    generate_key,
    key_of,
    keys_of,
    private_key_of,
)
from cumulo.engine.runtime import Engine
from cumulo.errors import BadRequest
from cumulo.store.account_models import SshKey

router = APIRouter(tags=["users"], responses=ERROR_RESPONSES)


def _key_json(k: SshKey) -> dict[str, Any]:
    return {
        "id": k.id,
        "name": k.name,
        "publicKey": k.public_key,
        "fingerprint": k.fingerprint,
        "hasPrivateKey": k.private_key is not None,
        "createdAt": k.created_at.isoformat(),
    }


@router.get("/users/me", summary="Who the caller is")
def me(caller: Identity = Depends(current_identity)) -> dict[str, Any]:
    return {
        "issuer": caller.issuer,
        "subject": caller.subject,
        "name": caller.name,
        "groups": sorted(caller.groups),
        "admin": caller.is_admin,
    }


@router.get("/users/me/keys", summary="The caller's SSH keys")
def list_keys(
    engine: Engine = Depends(get_engine), caller: Identity = Depends(current_identity)
) -> JSONResponse:
    with engine.db.session() as s:
        keys = [_key_json(k) for k in keys_of(s, user_row(s, caller))]
    return JSONResponse({"content": keys})


@router.post(
    "/users/me/keys",
    status_code=201,
    summary='Add a key: {"name", "publicKey"}, or {"name", "generate": true} (ed25519)',
)
async def add_key(
    request: Request,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> JSONResponse:
    body = await read_json_object(request)
    name, public, generate = body.get("name", ""), body.get("publicKey"), body.get("generate")
    if not isinstance(name, str) or (public is None) == (generate is not True):
        raise BadRequest('give "name" and either "publicKey" or "generate": true')
    with engine.db.session() as s:
        user = user_row(s, caller)
        if generate:
            row = generate_key(s, engine.secrets, user, name)
        else:
            row = add_public_key(s, user, name, str(public))
        action = "ssh-key-generate" if generate else "ssh-key-add"
        audit.record(s, caller, action, row.id, row.fingerprint)
        out = _key_json(row)
    return JSONResponse(out, status_code=201)


@router.get(
    "/users/me/keys/{key_id}/private",
    response_class=PlainTextResponse,
    summary="Download the private key of a pair cumulo generated",
)
def download_private(
    key_id: str, engine: Engine = Depends(get_engine), caller: Identity = Depends(current_identity)
) -> PlainTextResponse:
    with engine.db.session() as s:
        pem = private_key_of(s, engine.secrets, user_row(s, caller), key_id)
        audit.record(s, caller, "ssh-key-download", key_id)
    return PlainTextResponse(pem, headers={"Cache-Control": "no-store"})


@router.delete(
    "/users/me/keys/{key_id}", status_code=204, summary="Delete one of the caller's keys"
)
def delete_key(
    key_id: str, engine: Engine = Depends(get_engine), caller: Identity = Depends(current_identity)
) -> Response:
    with engine.db.session() as s:
        row = key_of(s, user_row(s, caller), key_id)
        audit.record(s, caller, "ssh-key-delete", key_id, row.fingerprint)
        s.delete(row)
    return Response(status_code=204)


@router.get("/audit", summary="The audit trail, newest first (administrators)")
def audit_trail(
    limit: int = 100,
    before: int | None = None,
    engine: Engine = Depends(get_engine),
    _: Identity = Depends(require_admin),
) -> JSONResponse:
    if not 1 <= limit <= 1000:
        raise BadRequest("query parameter 'limit' must be between 1 and 1000")
    with engine.db.session() as s:
        events = [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
            }
            for e in audit.recent(s, limit, before)
        ]
    return JSONResponse({"content": events})

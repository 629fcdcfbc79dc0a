"""SSH keys: upload a public key, create a pair, download its private key, delete."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cumulo.app_state import get_engine
from cumulo.auth import audit
from cumulo.auth.accounts import user_row
from cumulo.auth.identity import Identity
from cumulo.auth.user_keys import add_public_key, generate_key, key_of, keys_of, private_key_of
from cumulo.engine.runtime import Engine
from cumulo.errors import CumuloError
from cumulo.web.render import page
from cumulo.web.session import checked_form, web_user

router = APIRouter()
DONE = {
    "added": "The key was added.",
    "created": "A new key pair was created: download its private key now or later.",
    "deleted": "The key was deleted.",
}


def user_keys(engine: Engine, user: Identity) -> list[dict[str, str]]:
    """The user's keys as the wizard's SSH key widget offers them."""
    with engine.db.session() as s:
        return [{"name": k.name, "public_key": k.public_key} for k in keys_of(s, user_row(s, user))]


def keys_page(
    request: Request,
    engine: Engine,
    user: Identity,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with engine.db.session() as s:
        keys = keys_of(s, user_row(s, user))
    done = DONE.get(request.query_params.get("done", ""))
    ctx = {"keys": keys, "error": error, "typed": typed or {}, "flash": done}
    return page(request, "keys.html", ctx, user=user, status_code=status_code)


@router.get("/keys", response_class=HTMLResponse)
def my_keys(
    request: Request, engine: Engine = Depends(get_engine), user: Identity = Depends(web_user)
) -> HTMLResponse:
    return keys_page(request, engine, user)


@router.post("/keys", response_class=HTMLResponse)
def add_key(
    request: Request,
    engine: Engine = Depends(get_engine),
    user: Identity = Depends(web_user),
    form: FormData = Depends(checked_form),
) -> Response:
    """Upload a public key (``public_key``) or create a pair (``generate``)."""
    name = str(form.get("name") or "")
    public = str(form.get("public_key") or "").strip()
    generate = form.get("generate") == "true"
    try:
        with engine.db.session() as s:
            caller = user_row(s, user)
            if generate:
                row = generate_key(s, engine.secrets, caller, name)
            else:
                row = add_public_key(s, caller, name, public)
            action = "ssh-key-generate" if generate else "ssh-key-add"
            audit.record(s, user, action, row.id, row.fingerprint)
    except CumuloError as exc:
        typed = {"name": name, "public_key": public}
        return keys_page(request, engine, user, error=exc.message, typed=typed,
                         status_code=exc.http_status)  # fmt: skip
    return RedirectResponse(f"/ui/keys?done={'created' if generate else 'added'}", 303)


@router.get("/keys/{key_id}/private")
def download_private(
    key_id: str, engine: Engine = Depends(get_engine), user: Identity = Depends(web_user)
) -> PlainTextResponse:
    with engine.db.session() as s:
        row = key_of(s, user_row(s, user), key_id)
        pem = private_key_of(s, engine.secrets, user_row(s, user), key_id)
        audit.record(s, user, "ssh-key-download", key_id)
        filename = f"{row.name or 'cumulo'}".replace('"', "") + ".key"
    disposition = f'attachment; filename="{filename}"'
    headers = {"Cache-Control": "no-store", "Content-Disposition": disposition}
    return PlainTextResponse(pem, headers=headers)


@router.post("/keys/{key_id}/delete")
def delete_key(
    key_id: str,
    engine: Engine = Depends(get_engine),
    user: Identity = Depends(web_user),
    form: FormData = Depends(checked_form),
) -> RedirectResponse:
    with engine.db.session() as s:
        row = key_of(s, user_row(s, user), key_id)
        audit.record(s, user, "ssh-key-delete", key_id, row.fingerprint)
        s.delete(row)
    return RedirectResponse("/ui/keys?done=deleted", 303)

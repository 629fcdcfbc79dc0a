"""The caller's session choices: the active group (the switcher in the header)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from cumulo.auth.identity import Identity
from cumulo.errors import Forbidden
from cumulo.web.render import GROUP_COOKIE
from cumulo.web.routes.login import local_path
from cumulo.web.session import checked_form, web_user

router = APIRouter()


@router.post("/group")
def switch_group(
    user: Identity = Depends(web_user), form: FormData = Depends(checked_form)
) -> RedirectResponse:
    group, next = str(form.get("group") or ""), str(form.get("next") or "/ui/catalogue")
    if group not in user.groups:
        raise Forbidden(f"you are not a member of group {group}")
    resp = RedirectResponse(local_path(next), status_code=303)
    resp.set_cookie(GROUP_COOKIE, group, httponly=True, samesite="lax")
    return resp

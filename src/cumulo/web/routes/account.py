"""The caller's session choices: the active group (the switcher in the header)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from cumulo.auth.identity import Identity
from cumulo.errors import Forbidden
from cumulo.web.render import GROUP_COOKIE
from cumulo.web.session import checked_form, web_user

router = APIRouter()


def _local(path: str) -> str:
    """Only paths of the dashboard itself are followed after a form (no open redirect)."""
    return path if path.startswith("/ui") and not path.startswith("//") else "/ui/catalogue"


@router.post("/group")
def switch_group(
    user: Identity = Depends(web_user), form: FormData = Depends(checked_form)
) -> RedirectResponse:
    group, next = str(form.get("group") or ""), str(form.get("next") or "/ui/catalogue")
    if group not in user.groups:
        raise Forbidden(f"you are not a member of group {group}")
    resp = RedirectResponse(_local(next), status_code=303)
    resp.set_cookie(GROUP_COOKIE, group, httponly=True, samesite="lax")
    return resp

"""The dashboard's login and logout pages (local accounts).

Failed logins are throttled per name and per client address (429 saying
when to try again) and audited; a successful one starts a session cookie
(``cumulo.auth.web_session``).
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cumulo.auth import audit
from cumulo.auth.accounts import check_login, identity_of
from cumulo.auth.rate_limit import LoginThrottle
from cumulo.auth.web_session import (
    LOGIN_CSRF_COOKIE,
    check_csrf,
    csrf_token,
    end_session,
    set_cookie,
    start_session,
)
from cumulo.errors import CumuloError
from cumulo.web.render import page

router = APIRouter()


class TooManyAttempts(CumuloError):
    http_status = 429


def local_path(path: str | None) -> str:
    """Only paths of the dashboard itself are followed after login (no open redirect)."""
    if path and path.startswith("/ui") and not path.startswith("//"):
        return path
    return "/ui/catalogue"


def throttle(request: Request) -> LoginThrottle:
    app = request.app
    if not hasattr(app.state, "login_throttle"):
        app.state.login_throttle = LoginThrottle()
    return app.state.login_throttle


def _login_page(request: Request, next: str, error: str = "", status: int = 200) -> HTMLResponse:
    token = csrf_token(request)
    settings = request.app.state.settings
    context = {
        "next": local_path(next),
        "error": error,
        "oidc": bool(settings.oidc_client_id and settings.oidc_issuer_list),
        "oidc_name": (settings.oidc_issuer_list or [""])[0],
    }
    resp = page(request, "login.html", context, status_code=status)
    set_cookie(request, resp, LOGIN_CSRF_COOKIE, token, 3600)
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/ui/catalogue") -> HTMLResponse:
    return _login_page(request, next)


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/ui/catalogue"),
) -> Response:
    check_csrf(request, csrf)
    client = request.client.host if request.client else "?"
    keys = (f"name:{username}", f"ip:{client}")
    wait = throttle(request).retry_after(*keys)
    if wait > 0:
        raise TooManyAttempts(f"too many failed logins: try again in {math.ceil(wait)} s")
    engine = request.app.state.engine
    with engine.db.session() as s:
        user = check_login(s, username, password)
        if user is None:
            audit.record(s, username[:200], "login-failed", detail=f"from {client}")
        else:
            ident = identity_of(user, engine.settings.admin_group)
            audit.record(s, ident, "login", detail=f"from {client}")
    if user is None:
        throttle(request).failed(*keys)
        return _login_page(request, next, "Wrong user name or password.", status=401)
    throttle(request).succeeded(*keys)
    resp = RedirectResponse(local_path(next), status_code=303)
    start_session(request, resp, ident)
    return resp


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    resp = RedirectResponse("/ui/login", status_code=303)
    end_session(request, resp)
    return resp

"""Dashboard sessions and CSRF: an encrypted session cookie (``cumulo.secrets``).

The cookie holds ``{iss, sub, csrf, exp}`` encrypted and authenticated with the
installation's key, HttpOnly, SameSite=Lax, Secure over TLS (or when
``CUMULO_COOKIE_SECURE``). The caller's groups are read from the users table
on every page, so a removed user or a changed group takes effect at once.
Every form carries the session's CSRF token (``csrf_input``), checked by
``check_csrf``; the login form, before any session, uses a CSRF cookie.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from typing import Any

from fastapi import Request, Response
from markupsafe import Markup, escape
from sqlalchemy import select

from cumulo.auth.accounts import identity_of
from cumulo.auth.identity import Identity
from cumulo.errors import CumuloError, Forbidden
from cumulo.secrets import SecretError
from cumulo.store.account_models import User

SESSION_COOKIE = "cumulo_session"
LOGIN_CSRF_COOKIE = "cumulo_login_csrf"
SESSION_SECONDS = 12 * 3600


class LoginRequired(CumuloError):
    """No valid dashboard session: the dashboard answers with its login page."""

    http_status = 401


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.cookie_secure) or request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def start_session(request: Request, response: Response, identity: Identity) -> None:
    payload = {
        "iss": identity.issuer,
        "sub": identity.subject,
        "csrf": secrets.token_urlsafe(24),
        "exp": int(time.time()) + SESSION_SECONDS,
    }
    box = request.app.state.engine.secrets
    set_cookie(request, response, SESSION_COOKIE, box.encrypt(json.dumps(payload)), SESSION_SECONDS)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def session_of(request: Request) -> dict[str, Any] | None:
    if "cumulo_session_data" in request.scope:
        return request.scope["cumulo_session_data"]
    data = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        try:
            data = json.loads(request.app.state.engine.secrets.decrypt(raw))
        except (SecretError, ValueError):
            data = None
        if not isinstance(data, dict) or data.get("exp", 0) < time.time():
            data = None
    request.scope["cumulo_session_data"] = data
    return data


def optional_web_identity(request: Request) -> Identity | None:
    """The dashboard's caller from the session cookie, or ``None``."""
    data = session_of(request)
    if data is None:
        return None
    engine = request.app.state.engine
    with engine.db.session() as s:
        user = s.scalar(select(User).where(User.issuer == data["iss"], User.subject == data["sub"]))
        ident = identity_of(user, engine.settings.admin_group) if user else None
    request.state.identity = ident
    return ident


def web_identity(request: Request) -> Identity:
    """The dashboard's caller; ``LoginRequired`` (the login page) without a session."""
    ident = optional_web_identity(request)
    if ident is None:
        raise LoginRequired("please log in")
    return ident


def csrf_token(request: Request) -> str:
    """The token forms must send back: the session's, else the login form's cookie."""
    data = session_of(request)
    if data:
        return data["csrf"]
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or request.scope.get("cumulo_new_csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.scope["cumulo_new_csrf"] = token  # set as a cookie by the login page
    return token


def csrf_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="csrf" value="{}">').format(
        escape(csrf_token(request))
    )


def check_csrf(request: Request, sent: str | None) -> None:
    data = session_of(request)
    expected = data["csrf"] if data else request.cookies.get(LOGIN_CSRF_COOKIE)
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden("the form is stale or did not come from this site (CSRF check failed)")

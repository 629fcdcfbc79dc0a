"""Dashboard sessions and CSRF: a sealed session cookie naming a server-side session.

The cookie holds ``{sid, csrf, exp}`` sealed for ``Purpose.SESSION``
(``cumulo.secrets``), HttpOnly, SameSite=Lax, Secure over TLS (or when
``CUMULO_COOKIE_SECURE``). ``sid`` names a row of ``web_sessions``, checked on
every request with the user's row: logging out deletes it, and so do a new
password (``end_sessions_of``) and removing the user, so an old cookie is
worthless at once. The caller's groups are read from the users table on every
page, so a changed group takes effect at once too.
Every form carries the session's CSRF token (``csrf_token``; the dashboard
renders it), checked by ``check_csrf``; the login form, before any session,
uses a CSRF cookie. Pages and their routes are the dashboard's (``cumulo.web``).
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from sqlalchemy import delete, select

from cumulo.auth.accounts import identity_of
from cumulo.auth.identity import Identity
from cumulo.errors import CumuloError, Forbidden
from cumulo.secrets import Purpose, SecretError
from cumulo.store.account_models import User, WebSession
from cumulo.store.db import utcnow

SESSION_COOKIE = "cumulo_session"
LOGIN_CSRF_COOKIE = "cumulo_login_csrf"
SESSION_SECONDS = 12 * 3600
SESSION_LIFETIME = timedelta(seconds=SESSION_SECONDS)


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
    engine = request.app.state.engine
    now = utcnow()
    sid = secrets.token_urlsafe(32)
    with engine.db.session() as s:
        user = s.scalar(
            select(User).where(User.issuer == identity.issuer, User.subject == identity.subject)
        )
        if user is None:
            raise LoginRequired("the account is not known")
        s.execute(
            delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at < now)
        )
        s.add(WebSession(id=sid, user_id=user.id, expires_at=now + SESSION_LIFETIME))
    payload = {
        "sid": sid,
        "csrf": secrets.token_urlsafe(24),
        "exp": int(time.time()) + SESSION_SECONDS,
    }
    cookie = engine.secrets.seal(json.dumps(payload), Purpose.SESSION)
    set_cookie(request, response, SESSION_COOKIE, cookie, SESSION_SECONDS)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")


def end_session(request: Request, response: Response) -> None:
    """Log out: the session is deleted server-side, so a copy of the cookie is worthless."""
    data = session_of(request)
    if data is not None:
        with request.app.state.engine.db.session() as s:
            s.execute(delete(WebSession).where(WebSession.id == data["sid"]))
    response.delete_cookie(SESSION_COOKIE, path="/")


def _cookie_data(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = json.loads(request.app.state.engine.secrets.open(raw, Purpose.SESSION))
    except (SecretError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("sid"), str):
        return None
    return data if data.get("exp", 0) >= time.time() else None


def session_of(request: Request) -> dict[str, Any] | None:
    """The session's data (``sid``, ``csrf``, ``user``: its identity), if it is still open."""
    if "cumulo_session_data" in request.scope:
        return request.scope["cumulo_session_data"]
    data = _cookie_data(request)
    if data is not None:
        engine = request.app.state.engine
        with engine.db.session() as s:
            user = s.scalar(
                select(User)
                .join(WebSession, WebSession.user_id == User.id)
                .where(WebSession.id == data["sid"], WebSession.expires_at > utcnow())
            )
            ident = identity_of(user, engine.settings.admin_group) if user else None
        data = {**data, "user": ident} if ident is not None else None
    request.scope["cumulo_session_data"] = data
    return data


def optional_web_identity(request: Request) -> Identity | None:
    """The dashboard's caller from the session cookie, or ``None``."""
    data = session_of(request)
    ident = data["user"] if data is not None else None
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


def check_csrf(request: Request, sent: str | None) -> None:
    data = session_of(request)
    expected = data["csrf"] if data else request.cookies.get(LOGIN_CSRF_COOKIE)
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden("the form is stale or did not come from this site (CSRF check failed)")

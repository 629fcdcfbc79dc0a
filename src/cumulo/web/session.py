"""Who is using the dashboard, and the CSRF check of its forms: the one seam for identity.

Every page depends on ``web_user``; every form handler on ``checked_form``
(the submitted form after its CSRF token was checked); every form renders
``csrf_input(request)``. Sessions and CSRF tokens are
``cumulo.auth.web_session`` (an encrypted session cookie); a visitor without
a session is sent to ``/ui/login`` (``web/routes/login.py``).
"""

from __future__ import annotations

from fastapi import Request
from markupsafe import Markup, escape
from starlette.datastructures import FormData

from cumulo.auth.identity import Identity
from cumulo.auth.web_session import check_csrf, csrf_token, web_identity

__all__ = ["checked_form", "csrf_input", "web_user"]


def web_user(request: Request) -> Identity:
    """The session's caller (``LoginRequired``: the login page, without one)."""
    return web_identity(request)


def csrf_input(request: Request) -> Markup:
    """The hidden field carrying the CSRF token, rendered in every form."""
    return Markup('<input type="hidden" name="csrf" value="{}">').format(
        escape(csrf_token(request))
    )


async def checked_form(request: Request) -> FormData:
    """The submitted form, its CSRF token checked (403 when stale or forged)."""
    form = await request.form()
    sent = form.get("csrf")
    check_csrf(request, sent if isinstance(sent, str) else None)
    return form

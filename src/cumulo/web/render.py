"""Rendering pages: the one Jinja2 environment and what every page is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from cumulo import __version__
from cumulo.auth.identity import Identity
from cumulo.web.details import when
from cumulo.web.session import csrf_input
from cumulo.web.words import type_word


def badge(status: str | None) -> str:
    """The badge colour of a status: ok, busy (in progress) or bad."""
    status = status or ""
    if status.endswith("_COMPLETE"):
        return "ok"
    if status.endswith("_IN_PROGRESS"):
        return "busy"
    return "bad" if status.endswith("_FAILED") or status == "UNKNOWN" else ""


TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.globals["version"] = __version__
TEMPLATES.env.globals["csrf_input"] = csrf_input
TEMPLATES.env.filters["when"] = when
TEMPLATES.env.filters["badge"] = badge
TEMPLATES.env.filters["type_word"] = type_word

# Main navigation: (path under /ui, label); admin entries only for admins.
NAV = [("/catalogue", "Catalogue"), ("/deployments", "My deployments"), ("/keys", "SSH keys")]
ADMIN_NAV = [("/admin", "Admin")]


GROUP_COOKIE = "cumulo_group"


def active_group(request: Request, user: Identity | None = None) -> str | None:
    """The group the caller acts for: the switcher's choice if still theirs, else the first."""
    user = user or getattr(request.state, "identity", None)
    if user is None:
        return None
    chosen = request.cookies.get(GROUP_COOKIE)
    if chosen and (chosen in user.groups):
        return chosen
    return min(user.groups) if user.groups else None


def page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    user: Identity | None = None,
) -> HTMLResponse:
    """Render ``template`` with the caller, the navigation and ``context``."""
    user = user or getattr(request.state, "identity", None)
    nav = (NAV + (ADMIN_NAV if user.is_admin else [])) if user else []
    ctx = {"user": user, "nav": nav, "active_group": active_group(request, user)}
    ctx.update(context or {})
    return TEMPLATES.TemplateResponse(request, template, ctx, status_code=status_code)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return page(request, "error.html", {"status": status, "message": message}, status_code=status)

"""FastAPI dependencies: the engine and the caller (the one place auth plugs in)."""

from __future__ import annotations

from fastapi import Depends, Request

from cumulo.auth.identity import LOCAL_ADMIN, Identity
from cumulo.engine.runtime import Engine
from cumulo.errors import Forbidden


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def current_identity() -> Identity:
    """The caller. No authentication yet: the fixed local admin."""
    return LOCAL_ADMIN


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def require_admin(caller: Identity = Depends(current_identity)) -> Identity:
    """The caller, if an admin (``/sites``, ``/slas``): the one check identity tightens."""
    if not caller.is_admin:
        raise Forbidden("only an administrator may manage sites and SLAs")
    return caller

"""FastAPI dependencies: the engine and the caller (the one place auth plugs in)."""

from __future__ import annotations

from fastapi import Depends, Request

from cumulo.auth.authenticator import Authenticator
from cumulo.auth.identity import Identity
from cumulo.errors import Forbidden, Unauthorized


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("this call needs a bearer token (Authorization: Bearer ...)")
    return token.strip()


def current_identity(request: Request) -> Identity:
    """The caller, from the bearer token (401 without a valid one)."""
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.identify(bearer_token(request))


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def require_admin(caller: Identity = Depends(current_identity)) -> Identity:
    """The caller, if an admin (``/sites``, ``/slas``): the one check identity tightens."""
    if not caller.is_admin:
        raise Forbidden("only an administrator may manage sites and SLAs")
    return caller

"""Who is using the dashboard, and the CSRF check of its forms: the one seam for identity.

Every page depends on ``web_user``; every form handler on ``checked_form``
(the submitted form after its CSRF token was checked); every form renders
``csrf_input(request)``. Until the identity issue's session login lands,
the caller is ``api.deps.current_identity`` and there is no token to check.
"""

from __future__ import annotations

from fastapi import Depends, Request
from markupsafe import Markup
from starlette.datastructures import FormData

from cumulo.api.deps import current_identity
from cumulo.auth.identity import Identity


def web_user(identity: Identity = Depends(current_identity)) -> Identity:
    return identity


def csrf_input(request: Request) -> Markup:
    """The hidden CSRF field of a form (none until sessions exist)."""
    return Markup("")


async def checked_form(request: Request) -> FormData:
    """The submitted form (its CSRF token checked once sessions exist)."""
    return await request.form()

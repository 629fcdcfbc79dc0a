"""Credentials references of a site, as its admin writes them in the sites file.

A reference is the secret itself in a driver's own form (``keys:…``, ``token:…``,
``clouds:NAME``) or points at where it is: ``env:NAME`` (a variable of the
server's own environment) or ``file:PATH`` (a file on the server). These are
admin settings, never a user's input. Each driver reads its own forms; following
the indirections is shared.
"""

from __future__ import annotations

import os
from pathlib import Path

from cumulo.errors import SiteError

MAX_INDIRECTIONS = 3  # a variable naming a file naming ... stops here


def follow(where: str, reference: str, depth: int = 0) -> str:
    """``reference`` with its ``env:``/``file:`` indirections followed.

    ``where`` names the setting in errors, e.g. ``"site cloud-a: credentials"``.
    """
    kind, _, rest = reference.strip().partition(":")
    if kind == "env":
        value = os.environ.get(rest, "")
        if not value:
            raise SiteError(f"{where} env:{rest}: the variable is not set")
    elif kind == "file":
        try:
            value = Path(rest).read_text(encoding="utf-8")
        except OSError as exc:
            raise SiteError(f"{where} file:{rest}: {exc.strerror}") from None
    else:
        return reference.strip()
    if depth >= MAX_INDIRECTIONS - 1:
        raise SiteError(f"{where}: too many env:/file: indirections")
    return follow(where, value.strip(), depth + 1)

"""Sealing a site's credentials reference before it is stored: the one place it happens.

A reference names where the site's secret lives (``env:OS_TOKEN``,
``file:/etc/cumulo/site-a.token``); it is stored sealed and never shown by the
API. With ``cumulo.secrets`` (the identity issue) installed it is encrypted
with the installation's key ring; until then it is stored marked ``plain:``,
and re-sealed the next time the site is saved.
"""

from __future__ import annotations

from cumulo.config import Settings

PLAIN_PREFIX = "plain:"


def seal(settings: Settings, reference: str) -> str:
    try:
        from cumulo.secrets import open_box
    except ImportError:
        return PLAIN_PREFIX + reference
    return open_box(settings).encrypt(reference)


def unseal(settings: Settings, stored: str) -> str:
    if stored.startswith(PLAIN_PREFIX):
        return stored[len(PLAIN_PREFIX) :]
    from cumulo.secrets import open_box

    return open_box(settings).decrypt(stored)

"""Deployments named by a unique prefix of their id, as git names commits."""

from __future__ import annotations

import re

from cumulo.cli.client.api import ClientError, CumuloApi

# A prefix of a uuid, at least 4 characters (shorter ones match too much to be useful).
PREFIX_RE = re.compile(r"[0-9a-f-]{4,35}")


def resolve(api: CumuloApi, ref: str) -> str:
    """The full id of the one deployment whose id starts with ``ref``; anything that is
    not a short id goes to the server as given (which says when it does not exist)."""
    ref = ref.strip()
    if not PREFIX_RE.fullmatch(ref.lower()):
        return ref
    items, _ = api.deployments(size=100, all_pages=True)
    ids = {str(d.get("uuid", "")) for d in items}
    found = sorted(i for i in ids if i.lower().startswith(ref.lower()))
    if not found:
        raise ClientError(f"no deployment of yours has an id starting with {ref!r} (cumulo ls)")
    if len(found) > 1:
        raise ClientError(
            f"{ref!r} starts {len(found)} deployment ids ({', '.join(found[:3])}, ...): type more"
        )
    return found[0]

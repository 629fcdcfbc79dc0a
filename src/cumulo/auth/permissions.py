"""Who may do what (INDIGO's rules, plus groups):

- a deployment is visible to its owner, to members of its ``userGroup``, and to admins;
- only its owner (or an admin) changes or deletes it;
- ``userGroup`` at creation must be one of the caller's groups (the group's
  SLAs then decide the sites, ``cumulo.federation``; catalogue visibility by
  group is ``cumulo.catalogue.visibility``).

A deployment the caller may not see is answered as not found, so ids of
others' deployments are not confirmed.
"""

from __future__ import annotations

from typing import Protocol

from cumulo.auth.identity import Identity
from cumulo.errors import Forbidden, NotFound

OWNER_ONLY = "Only the owner of the deployment can perform this operation"


class Owned(Protocol):
    id: str
    owner_issuer: str
    owner_subject: str
    user_group: str | None


def is_owner(caller: Identity, dep: Owned) -> bool:
    return dep.owner_subject == caller.subject and dep.owner_issuer == caller.issuer


def can_see(caller: Identity, dep: Owned) -> bool:
    return (
        caller.is_admin
        or is_owner(caller, dep)
        or (dep.user_group is not None and dep.user_group in caller.groups)
    )


def require_visible(caller: Identity, dep: Owned | None, dep_id: str) -> Owned:
    if dep is None or not can_see(caller, dep):
        raise NotFound(f"The deployment <{dep_id}> doesn't exist")
    return dep


def require_owner(caller: Identity, dep: Owned | None, dep_id: str) -> Owned:
    """The deployment if the caller may change it: 404 if invisible, 403 if not theirs."""
    dep = require_visible(caller, dep, dep_id)
    if not (caller.is_admin or is_owner(caller, dep)):
        raise Forbidden(OWNER_ONLY)
    return dep


def require_group(caller: Identity, group: str | None) -> None:
    if group and not caller.is_admin and group not in caller.groups:
        raise Forbidden(f"the user is not a member of group {group}")

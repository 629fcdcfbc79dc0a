"""Users with API tokens for tests and benchmarks (real accounts, real tokens).

``tests/conftest.py`` wraps this in the ``make_user`` fixture; other rooms'
tests use that (see docs/architecture.md, "Identity").
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cumulo.auth.accounts import add_local_user, identity_of
from cumulo.auth.api_tokens import issue_token
from cumulo.auth.identity import Identity
from cumulo.store import Database


@dataclass(frozen=True)
class ApiUser:
    name: str
    password: str
    token: str
    identity: Identity

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def create_api_user(
    db: Database,
    name: str,
    groups: tuple[str, ...] = (),
    admin_group: str = "admins",
    *,
    admin: bool = False,
) -> ApiUser:
    """A local account in ``groups`` (an administrator if ``admin``) and a fresh API token."""
    password = secrets.token_urlsafe(12)
    with db.session() as s:
        user = add_local_user(s, name, password, groups, admin=admin)
        token = issue_token(s, user, name="test")
        ident = identity_of(user, admin_group)
    return ApiUser(name, password, token, ident)

"""Local accounts (the embedded default's users) and the users OIDC tokens introduce.

A local account's issuer is ``cumulo-local`` and its subject its name. Names
are also POSIX login names: the account made for the user on their VMs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cumulo.auth.identity import LOCAL_ISSUER, Identity
from cumulo.auth.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from cumulo.errors import BadRequest, Conflict, NotFound
from cumulo.store.account_models import User, WebSession
from cumulo.store.db import utcnow

NAME_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
GROUP_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:/@-]{0,254}$")
ADMIN_NAME = "admin"


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise BadRequest(
            f"user name {name!r}: use 1-32 lower-case letters, digits, '_' or '-', "
            "starting with a letter or '_' (it is also the login on the user's VMs)"
        )
    return name


def check_groups(groups: Iterable[str]) -> list[str]:
    out = []
    for g in groups:
        if not GROUP_RE.match(g):
            raise BadRequest(f"group name {g!r}: letters, digits and _ . : / @ - only")
        if g not in out:
            out.append(g)
    return out


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def local_user(s: Session, name: str) -> User | None:
    return s.scalar(select(User).where(User.issuer == LOCAL_ISSUER, User.subject == name))


def require_local_user(s: Session, name: str) -> User:
    user = local_user(s, name)
    if user is None:
        raise NotFound(f"no local user named {name!r}")
    return user


def add_local_user(
    s: Session, name: str, password: str, groups: Iterable[str] = (), *, admin: bool = False
) -> User:
    check_name(name)
    check_password(password)
    if local_user(s, name) is not None:
        raise Conflict(f"a local user named {name!r} exists already")
    user = User(
        issuer=LOCAL_ISSUER,
        subject=name,
        name=name,
        password_hash=hash_password(password),
        groups=check_groups(groups),
        is_admin=admin,
    )
    s.add(user)
    s.flush()
    return user


def set_password(s: Session, name: str, password: str) -> None:
    """A new password; the user's dashboard sessions end (whoever knew the old one is out)."""
    user = require_local_user(s, name)
    user.password_hash = hash_password(check_password(password))
    end_sessions_of(s, user)


def end_sessions_of(s: Session, user: User) -> None:
    """Every dashboard session of ``user`` ends: its cookies are worthless from now on."""
    s.execute(delete(WebSession).where(WebSession.user_id == user.id))


def local_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).where(User.issuer == LOCAL_ISSUER).order_by(User.subject)))


def check_login(s: Session, name: str, password: str) -> User | None:
    """The local user if ``password`` is theirs, else ``None`` (same cost either way)."""
    user = local_user(s, name)
    if not verify_password(user.password_hash if user else None, password):
        return None
    user.last_login_at = utcnow()  # type: ignore[union-attr]
    return user


def identity_of(user: User, admin_group: str) -> Identity:
    groups = frozenset(user.groups or ())
    return Identity(
        issuer=user.issuer,
        subject=user.subject,
        groups=groups,
        is_admin=bool(user.is_admin) or admin_group in groups,
        name=user.name,
    )


def remember_oidc_user(s: Session, identity: Identity, email: str | None = None) -> User:
    """The user row of an OIDC identity, created at first sight, groups kept current."""
    user = s.scalar(
        select(User).where(User.issuer == identity.issuer, User.subject == identity.subject)
    )
    groups = sorted(identity.groups)
    if user is None:
        user = User(
            issuer=identity.issuer,
            subject=identity.subject,
            name=identity.name,
            email=email,
            groups=groups,
            last_login_at=utcnow(),
        )
        s.add(user)
        s.flush()
    elif user.groups != groups or (identity.name and user.name != identity.name):
        user.groups = groups
        user.name = identity.name or user.name
    return user


def user_row(s: Session, identity: Identity) -> User:
    """The stored user behind ``identity`` (OIDC users get one at first sight)."""
    user = s.scalar(
        select(User).where(User.issuer == identity.issuer, User.subject == identity.subject)
    )
    return user or remember_oidc_user(s, identity)

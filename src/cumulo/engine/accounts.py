"""The VM account of a deployment's owner: their login name, unless it is a system account.

VMs get an account named after the owner (their login name), with sudo.
"""

from __future__ import annotations

import re

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cumulo.engine.runtime import Engine
from cumulo.store.account_models import User
from cumulo.store.models import Deployment

# System accounts of the VM images: never reused for a user.
RESERVED_ACCOUNTS = frozenset(
    [
        "root",
        "daemon",
        "bin",
        "sys",
        "sync",
        "games",
        "man",
        "lp",
        "mail",
        "news",
        "uucp",
        "proxy",
        "www-data",
        "backup",
        "list",
        "irc",
        "gnats",
        "nobody",
        "sshd",
        "messagebus",
        "_apt",
        "systemd-network",
        "systemd-resolve",
    ]
)
_ACCOUNT_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def account_name(engine: Engine, dep_id: str) -> str:
    """The VM account of the deployment's owner: their login name, else the default."""
    with engine.db.session() as s:
        return account_name_in(s, engine, dep_id)


_OWNER_NAME = (  # built once: every attempt reads it
    select(User.name)
    .join(
        Deployment,
        (Deployment.owner_issuer == User.issuer) & (Deployment.owner_subject == User.subject),
    )
    .where(Deployment.id == bindparam("dep_id"))
)


def account_name_in(s: Session, engine: Engine, dep_id: str) -> str:
    """``account_name`` read in the caller's transaction."""
    return valid_account(engine, s.scalar(_OWNER_NAME, {"dep_id": dep_id}))


def valid_account(engine: Engine, name: str | None) -> str:
    """The owner's login ``name`` as a VM account if it can be one, else the default."""
    if name and _ACCOUNT_RE.match(name) and name not in RESERVED_ACCOUNTS:
        return name
    return engine.settings.default_ssh_user

"""What a deployment takes from its owner without the user typing it.

- SSH key inputs (the form widget ``ssh_key``) left empty get the owner's
  newest public key (``/users/me/keys``).
- VMs get an account named after the owner (their login name), with sudo.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from cumulo.auth.identity import Identity
from cumulo.auth.user_keys import public_keys_of
from cumulo.engine.runtime import Engine
from cumulo.errors import CumuloError
from cumulo.store.account_models import User
from cumulo.store.models import Deployment
from cumulo.tosca.forms import form_schema

if TYPE_CHECKING:
    from cumulo.engine.services import NewDeployment

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


def with_owner_keys(engine: Engine, new: NewDeployment, owner: Identity) -> NewDeployment:
    """``new`` with its empty SSH key inputs set to the owner's newest public key."""
    try:
        tpl = engine.processor.load_text(new.template, name="template.yaml")
    except CumuloError:
        return new  # the plan reports what is wrong with the template
    params = dict(new.parameters)
    wanted = [
        i["name"]
        for i in form_schema(tpl)["inputs"]
        if i.get("widget") == "ssh_key" and params.get(i["name"]) in (None, "")
    ]
    if not wanted:
        return new
    with engine.db.session() as s:
        keys = public_keys_of(s, owner.issuer, owner.subject)
    if not keys:
        return new
    params.update(dict.fromkeys(wanted, keys[0]))
    return replace(new, parameters=params)


def account_name(engine: Engine, dep_id: str) -> str:
    """The VM account of the deployment's owner: their login name, else the default."""
    with engine.db.session() as s:
        return account_name_in(s, engine, dep_id)


def account_name_in(s: Session, engine: Engine, dep_id: str) -> str:
    """``account_name`` read in the caller's transaction."""
    name = s.scalar(
        select(User.name)
        .join(
            Deployment,
            (Deployment.owner_issuer == User.issuer) & (Deployment.owner_subject == User.subject),
        )
        .where(Deployment.id == dep_id)
    )
    if name and _ACCOUNT_RE.match(name) and name not in RESERVED_ACCOUNTS:
        return name
    return engine.settings.default_ssh_user

"""What an input of a template is for, beyond its type: a secret, or the user's SSH key.

One rule, the domain's: the engine seals a secret's value and withholds what is
computed from it, fills an empty key input with the owner's newest public key
and installs the keys it holds on the deployment's VMs; forms choose their
widget (password, SSH key) from the same roles, never the other way round.

An input says it by its name (INFN's templates do: ``jupyter_password``,
``iam_token``, ``ssh_public_key``) or by its metadata (``sensitive: true``,
``ssh_key: true``), which wins over the name when it says ``false``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Final


class Role(StrEnum):
    SECRET = "secret"
    SSH_KEY = "ssh_key"


SECRET_NAME: Final = re.compile(r"pass(word|wd)?|secret|token|private", re.IGNORECASE)
# An SSH key by name: these names, or a name ending in one of the first five
# (``os_user_ssh_public_key``); ``public_key`` alone only as the whole name, since
# other keys end so too (a repository's signing key, ``ams_repo_public_key``).
SSH_KEY_SUFFIXES: Final = (
    "ssh_public_key", "ssh_public_keys", "ssh_key", "ssh_keys", "ssh_authorized_keys",
)  # fmt: skip
SSH_KEY_NAMES: Final = frozenset({"public_key", "public_keys"})


def _flag(definition: Mapping[str, Any] | None, name: str) -> bool | None:
    meta = definition.get("metadata") if isinstance(definition, Mapping) else None
    value = meta.get(name) if isinstance(meta, Mapping) else None
    return value if isinstance(value, bool) else None


def roles_of(name: str, definition: Mapping[str, Any] | None = None) -> frozenset[Role]:
    """The roles of the input ``name`` declared as ``definition`` (None: undeclared)."""
    roles: set[Role] = set()
    is_key = _flag(definition, "ssh_key")
    lowered = name.lower()
    by_name = "private" not in lowered and (
        lowered in SSH_KEY_NAMES or lowered.endswith(SSH_KEY_SUFFIXES)
    )
    if is_key if is_key is not None else by_name:
        roles.add(Role.SSH_KEY)
    secret = _flag(definition, "sensitive")
    if secret if secret is not None else (bool(SECRET_NAME.search(name)) and not roles):
        roles.add(Role.SECRET)
    return frozenset(roles)


def input_roles(declared: Mapping[str, Any]) -> dict[str, frozenset[Role]]:
    """The roles of every declared input (a template's ``inputs`` section) that has one."""
    out = {}
    for name, definition in declared.items():
        roles = roles_of(str(name), definition if isinstance(definition, Mapping) else None)
        if roles:
            out[str(name)] = roles
    return out


def names_with(role: Role, declared: Mapping[str, Any], given: Iterable[str] = ()) -> set[str]:
    """The inputs in ``role``: declared ones by their definition, other ``given`` names by name."""
    found = {n for n, roles in input_roles(declared).items() if role in roles}
    return found | {str(n) for n in given if n not in declared and role in roles_of(str(n))}


def keys_in(values: Mapping[str, Any], names: Iterable[str]) -> tuple[str, ...]:
    """The public keys the inputs ``names`` hold: one per line of a text, or a list."""
    keys: list[str] = []
    for name in sorted(names):
        value = values.get(name)
        if isinstance(value, str) and value.strip():
            keys.extend(line.strip() for line in value.splitlines() if line.strip())
        elif isinstance(value, list):
            keys.extend(str(v).strip() for v in value if str(v).strip())
    return tuple(dict.fromkeys(keys))

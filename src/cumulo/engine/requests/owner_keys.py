"""What a new deployment takes from its owner without the user typing it: SSH key inputs
(``cumulo.tosca.input_roles``) left empty get the owner's newest public key
(``/users/me/keys``). The engine then installs the keys those inputs hold on the VMs."""

from __future__ import annotations

from dataclasses import replace

from cumulo.auth.identity import Identity
from cumulo.auth.user_keys import public_keys_of
from cumulo.engine.requests.new_deployment import NewDeployment
from cumulo.engine.runtime import Engine
from cumulo.tosca import Template
from cumulo.tosca.input_roles import Role, names_with


def with_owner_keys(
    engine: Engine, new: NewDeployment, template: Template, owner: Identity
) -> NewDeployment:
    """``new`` with its empty SSH key inputs set to the owner's newest public key."""
    params = dict(new.parameters)
    wanted = [
        name
        for name in sorted(names_with(Role.SSH_KEY, template.inputs))
        if params.get(name) in (None, "")
    ]
    if not wanted:
        return new
    with engine.db.session() as s:
        keys = public_keys_of(s, owner.issuer, owner.subject)
    if not keys:
        return new
    params.update(dict.fromkeys(wanted, keys[0]))
    return replace(new, parameters=params)

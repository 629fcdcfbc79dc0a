"""What a new deployment takes from its owner without the user typing it: SSH key inputs
left empty get the owner's newest public key (``/users/me/keys``)."""

from __future__ import annotations

from dataclasses import replace

from cumulo.auth.identity import Identity
from cumulo.auth.user_keys import public_keys_of
from cumulo.engine.requests.new_deployment import NewDeployment
from cumulo.engine.runtime import Engine
from cumulo.errors import CumuloError
from cumulo.tosca.forms import form_schema


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

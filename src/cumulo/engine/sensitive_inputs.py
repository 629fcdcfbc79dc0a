"""Sensitive deployment parameters: encrypted at rest, decrypted only to plan.

An input is sensitive when its form widget is a password (``password``,
``random_password``) or its name says so (password, secret, token,
private...). Its value is stored as ``cumulo.secrets`` ciphertext in
``deployments.parameters``; the engine calls ``unseal`` where it plans, and
pages show a mask.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cumulo.engine.runtime import Engine
from cumulo.errors import CumuloError
from cumulo.secrets import is_encrypted
from cumulo.tosca.forms import form_schema

SECRET_WIDGETS = frozenset({"password", "random_password"})
SECRET_NAME = re.compile(r"pass(word|wd)?|secret|token|private", re.IGNORECASE)


def is_sensitive(name: str, spec: Mapping[str, Any] | None = None) -> bool:
    return (spec or {}).get("widget") in SECRET_WIDGETS or bool(SECRET_NAME.search(name))


def seal(engine: Engine, template: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with the values of sensitive inputs encrypted (for storing)."""
    try:
        tpl = engine.processor.load_text(template, name="template.yaml")
        specs = {f["name"]: f for f in form_schema(tpl)["inputs"]}
    except CumuloError:
        specs = {}
    out = dict(params)
    for name, value in params.items():
        if (
            value not in (None, "")
            and not is_encrypted(value)
            and is_sensitive(name, specs.get(name))
        ):
            out[name] = engine.secrets.encrypt(value if isinstance(value, str) else repr(value))
    return out


def unseal(engine: Engine, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Stored parameters with the encrypted values decrypted (to plan; never to show or log)."""
    return {
        k: engine.secrets.decrypt(v) if is_encrypted(v) else v for k, v in (params or {}).items()
    }

"""Sensitive deployment parameters: sealed at rest, opened only to plan, in no answer.

An input is sensitive when the domain says it is a secret
(``cumulo.tosca.input_roles``: its name — password, secret, token, private... —
or its metadata ``sensitive: true``). Its value is sealed (``cumulo.secrets``, purpose
``DEPLOYMENT_INPUT``, bound to the deployment's id and the input's name) in
``deployments.parameters``; the engine calls ``unseal`` where it plans, pages
show a mask, and outputs computed from it are withheld (``withhold_secrets``).

Nothing a user submits is ever opened: ``seal`` seals every submitted value that
has the form of a sealed value too (as the literal text it is), so a sealed
string in the stored parameters is always one cumulo made, for that deployment
and that input; the key it opens with says so as well.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from cumulo.engine.outputs import redact, withhold
from cumulo.engine.runtime import Engine
from cumulo.errors import CumuloError
from cumulo.secrets import Purpose, deployment_input, is_encrypted
from cumulo.tosca.input_roles import Role, names_with, roles_of

Names = AbstractSet[str]  # shared once computed: never changed


class StoredDeployment(Protocol):
    id: str
    template: str
    parameters: dict[str, Any]


def is_sensitive(name: str, field: Mapping[str, Any] | None = None) -> bool:
    """Whether the input ``name`` (a form field of ``form_schema``, if known) is a secret."""
    if field is not None and "roles" in field:
        return Role.SECRET in field["roles"]
    return Role.SECRET in roles_of(name)


def _template(engine: Engine, template: str) -> Any:
    try:
        return engine.template(template)
    except CumuloError:
        return None


def sensitive_names(engine: Engine, template: str, names: Any = ()) -> set[str]:
    """The template's sensitive inputs, and those of ``names`` that are sensitive by name."""
    tpl = _template(engine, template)
    return names_with(Role.SECRET, tpl.inputs if tpl is not None else {}, names)


# Per loaded template, while the engine keeps it: the sensitive inputs for a set of
# given names, and the outputs derived from them (every deployment settles with them).
_WITHHELD: WeakKeyDictionary[Any, dict[frozenset[str], tuple[Names, Names]]]
_WITHHELD = WeakKeyDictionary()
_withheld_lock = threading.Lock()


def _withheld_names(engine: Engine, template: str, names: Any) -> tuple[Names, Names]:
    """(sensitive inputs, outputs derived from them), computed once per template and names."""
    tpl, given = _template(engine, template), frozenset(names)
    if tpl is None:
        return frozenset(names_with(Role.SECRET, {}, given)), frozenset()
    with _withheld_lock:
        found = _WITHHELD.get(tpl, {}).get(given)
    if found is None:
        sensitive = names_with(Role.SECRET, tpl.inputs, given)
        found = (frozenset(sensitive), frozenset(_derived(tpl, sensitive)))
        with _withheld_lock:
            _WITHHELD.setdefault(tpl, {})[given] = found
    return found


def seal(engine: Engine, template: str, params: Mapping[str, Any], dep_id: str) -> dict[str, Any]:
    """``params`` with sensitive values (and any that look sealed) sealed, for storing."""
    sensitive = sensitive_names(engine, template, params)
    out = dict(params)
    for name, value in params.items():
        if value not in (None, "") and (name in sensitive or is_encrypted(value)):
            plain = value if isinstance(value, str) else json.dumps(value)
            context = deployment_input(dep_id, name)
            out[name] = engine.secrets.seal(plain, Purpose.DEPLOYMENT_INPUT, context)
    return out


def _open(engine: Engine, dep_id: str, name: str, value: str) -> str:
    context = deployment_input(dep_id, name)
    return engine.secrets.open(value, Purpose.DEPLOYMENT_INPUT, context, legacy=True)


def unseal(engine: Engine, dep: StoredDeployment) -> dict[str, Any]:
    """The stored parameters with the sealed values opened (to plan; never to show or log)."""
    return {
        k: _open(engine, dep.id, k, v) if is_encrypted(v) else v
        for k, v in (dep.parameters or {}).items()
    }


def secret_values(
    engine: Engine, dep: StoredDeployment, sensitive: Names | None = None
) -> list[str]:
    """The texts of the sensitive values given (what no answer may show); ``sensitive``:
    the sensitive inputs, if the caller knows them."""
    if sensitive is None:
        sensitive = sensitive_names(engine, dep.template, dep.parameters or {})
    opened = unseal(engine, dep)
    sealed = {n for n, v in (dep.parameters or {}).items() if is_encrypted(v)}
    return [
        value if isinstance(value, str) else json.dumps(value)
        for name, value in opened.items()
        if (name in sensitive or name in sealed) and value not in (None, "")
    ]


def _calls(expr: Any, function: str) -> list[Any]:
    """The arguments of every ``{function: args}`` inside ``expr``."""
    if isinstance(expr, Mapping):
        found = [expr[function]] if function in expr else []
        return found + [a for v in expr.values() for a in _calls(v, function)]
    if isinstance(expr, list):
        return [a for v in expr for a in _calls(v, function)]
    return []


def _first(args: Any) -> Any:
    return args[0] if isinstance(args, list) and args else args


def _derived(tpl: Any, sensitive: Names) -> set[str]:
    """Outputs whose expression reads a sensitive input, directly or through a node property."""

    def reads_secret(expr: Any) -> bool:
        return any(_first(a) in sensitive for a in _calls(expr, "get_input"))

    tainted = {
        (node, prop)
        for node, nt in (tpl.topology.get("node_templates") or {}).items()
        if isinstance(nt, Mapping)
        for prop, value in (nt.get("properties") or {}).items()
        if reads_secret(value)
    }
    derived = set()
    for name, out in (tpl.topology.get("outputs") or {}).items():
        expr = out.get("value") if isinstance(out, Mapping) else out
        refs = [*_calls(expr, "get_property"), *_calls(expr, "get_attribute")]
        via_node = any(isinstance(r, list) and len(r) > 1 and (r[0], r[1]) in tainted for r in refs)
        if reads_secret(expr) or via_node:
            derived.add(str(name))
    return derived


def withhold_secrets(
    engine: Engine, dep: StoredDeployment, outputs: Mapping[str, Any] | None, reason: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    """The outputs and status reason as they may be stored and answered: no sensitive value."""
    sensitive, derived = _withheld_names(engine, dep.template, dep.parameters or {})
    secrets = secret_values(engine, dep, sensitive)
    if outputs is not None:
        outputs = withhold(outputs, derived, secrets)
    return outputs, redact(reason, secrets)

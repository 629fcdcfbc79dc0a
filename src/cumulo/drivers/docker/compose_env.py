"""The variables of a compose project: checked names, and ``${VAR}`` substitution.

cumulo substitutes the variables itself, before the site policy reads the
file, so that a value like ``network_mode: ${MODE}`` is checked as what it will
be; the file handed to compose then holds no variable left (``$`` is written
back as ``$$``). Forms, as compose has them: ``$VAR``, ``${VAR}``,
``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?message}``, ``${VAR?message}``,
and ``$$`` for a literal ``$``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cumulo.errors import SiteError

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bad>))"
)


def project_environment(node: str, where: str, value: Any, host_ip: str) -> dict[str, str]:
    """The variables given (a map, a list of one-entry maps, or ``KEY=VALUE`` strings)
    plus ``HOST_PUBLIC_IP``; a name that is not a valid variable name is refused."""
    items: list[tuple[Any, Any]] = []
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list):
        for i, entry in enumerate(value):
            if isinstance(entry, Mapping):
                items.extend(entry.items())
            elif isinstance(entry, str) and "=" in entry:
                items.append(tuple(entry.split("=", 1)))
            else:
                raise SiteError(f"node {node}: {where}[{i}]: {entry!r} is not KEY=VALUE")
    elif value not in (None, "", [], {}):
        raise SiteError(f"node {node}: {where} must be a map or a list of variables")
    env: dict[str, str] = {}
    for key, val in items:
        name = str(key)
        if not NAME.match(name):
            raise SiteError(
                f"node {node}: {where}: {name!r} is not a valid variable name "
                "(letters, digits and _, not starting with a digit)"
            )
        env[name] = "" if val is None else str(val).lower() if isinstance(val, bool) else str(val)
    env["HOST_PUBLIC_IP"] = host_ip
    return env


def substitute(node: str, doc: Any, env: Mapping[str, str], path: str = "") -> Any:
    """``doc`` with every variable in its string values replaced, ``$`` kept as ``$$``."""
    if isinstance(doc, Mapping):
        return {
            k: substitute(node, v, env, f"{path}.{k}" if path else str(k)) for k, v in doc.items()
        }
    if isinstance(doc, list):
        return [substitute(node, v, env, f"{path}[{i}]") for i, v in enumerate(doc)]
    if isinstance(doc, str) and "$" in doc:
        return _replace(node, doc, env, path)
    return doc


def _replace(node: str, text: str, env: Mapping[str, str], path: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$$"
        if match["bad"] is not None and match["bare"] is None and match["name"] is None:
            raise SiteError(f"node {node}: compose file: {path}: invalid variable in {text!r}")
        name = match["bare"] or match["name"]
        value, op, arg = env.get(name), match["op"], match["arg"] or ""
        if op in (":-", ":?") and value == "":
            value = None
        if value is None and op and op.endswith("?"):
            raise SiteError(f"node {node}: compose file: {path}: {name} is required: {arg}")
        if value is None:
            value = arg if op and op.endswith("-") else ""
        return value.replace("$", "$$")

    return _REFERENCE.sub(one, text)


def container_environment(node: str, where: str, value: Any, env: Mapping[str, str]) -> dict:
    """A service's ``environment`` as a map with no pass-through left: a bare ``KEY``
    (or ``KEY:`` with no value), which compose would take from its own process's
    environment, takes the user's variable of that name, or is left out."""
    if value in (None, "", [], {}):
        return {}
    if isinstance(value, Mapping):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(k, v if sep else None) for k, sep, v in (str(e).partition("=") for e in value)]
    else:
        raise SiteError(f"node {node}: compose file: {where}: must be a map or a list")
    result: dict[str, Any] = {}
    for key, val in items:
        if val is not None:
            result[key] = val
        elif key in env:
            result[key] = env[key].replace("$", "$$")
    return result


def redact(text: str, env: Mapping[str, str]) -> str:
    """``text`` (an error to show) with the values of the user's variables masked: one may
    be a password, and errors are stored and shown."""
    for name, value in sorted(env.items(), key=lambda kv: -len(kv[1])):
        if len(value) >= 4 and name != "HOST_PUBLIC_IP":
            text = text.replace(value, "***")
    return text

"""What the details page shows of a deployment: inputs (secrets masked), outputs, SSH, log."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

from cumulo.api.render import format_time
from cumulo.engine.runtime import Engine
from cumulo.errors import CumuloError
from cumulo.store.models import Deployment
from cumulo.tosca.forms import form_schema

SECRET_WIDGETS = frozenset({"password", "random_password"})
_SECRET_NAME = re.compile(r"pass(word|wd)?|secret|token|private", re.IGNORECASE)
_URL = re.compile(r"^https?://[^\s<>\"']+$")
MASK = "••••••••"


@dataclass(frozen=True)
class Shown:
    """One input or output value as shown: its text, whether a link, whether masked."""

    name: str
    label: str
    text: str
    url: str | None = None
    masked: bool = False
    description: str | None = None


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, indent=1, sort_keys=True)


def describe_inputs(engine: Engine, dep: Deployment) -> list[Shown]:
    """The parameters as given, labelled by the form schema; secrets masked."""
    fields: dict[str, dict[str, Any]] = {}
    try:
        template = engine.processor.load_text(dep.template, name="template.yaml")
        fields = {f["name"]: f for f in form_schema(template)["inputs"]}
    except CumuloError:
        pass  # a template that no longer loads still shows its raw parameters
    out = []
    for name, value in (dep.parameters or {}).items():
        spec = fields.get(name, {})
        secret = spec.get("widget") in SECRET_WIDGETS or bool(_SECRET_NAME.search(name))
        out.append(
            Shown(
                name=name,
                label=str(spec.get("label") or name),
                text=MASK if secret else _as_text(value),
                masked=secret,
                description=spec.get("description"),
            )
        )
    return out


def _flatten(name: str, value: Any) -> list[tuple[str, Any]]:
    """Lists and maps of URLs become one row per URL (each clickable)."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        if len(value) == 1:
            return [(name, value[0])]
        return [(f"{name}[{i}]", v) for i, v in enumerate(value)]
    strings = isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values())
    if strings and any(_URL.match(v) for v in value.values()):
        return [(f"{name}.{k}", v) for k, v in value.items()]
    return [(name, value)]


def describe_outputs(outputs: dict[str, Any]) -> list[Shown]:
    out = []
    for name, value in outputs.items():
        for label, item in _flatten(name, value):
            text = _as_text(item)
            url = text if isinstance(item, str) and _URL.match(text) else None
            out.append(Shown(name=name, label=label, text=text, url=url))
    return out


def ssh_command(outputs: dict[str, Any]) -> str | None:
    """``ssh -p PORT ACCOUNT@HOST`` when the outputs say where to log in."""
    host = outputs.get("node_ip")
    if isinstance(host, list):
        host = host[0] if host else None
    account = outputs.get("ssh_account")
    creds = outputs.get("node_creds")
    if not account and isinstance(creds, dict):
        account = creds.get("user")
    if not isinstance(host, str) or not host or not isinstance(account, str) or not account:
        return None
    port = outputs.get("ssh_port")
    port_part = f"-p {int(port)} " if isinstance(port, int) and port != 22 else ""
    return f"ssh {port_part}{shlex.quote(account)}@{shlex.quote(host)}"


def when(dt: Any) -> str:
    return (format_time(dt) or "").replace("T", " ").replace("+0000", " UTC")

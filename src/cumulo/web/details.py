"""What the details page shows of a deployment: inputs (secrets masked), outputs, SSH, log."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

from cumulo.catalogue.library import catalogue_for
from cumulo.engine.indigo_json import format_time
from cumulo.engine.runtime import Engine
from cumulo.engine.sensitive_inputs import is_sensitive
from cumulo.errors import CumuloError
from cumulo.secrets import is_encrypted
from cumulo.store.models import Deployment
from cumulo.tosca.forms import form_schema
from cumulo.web import words
from cumulo.web.form_values import display_values

_URL = re.compile(r"^https?://[^\s<>\"']+$")
MASK = "••••••••"
KEEP_SECRET = "(Leave empty to keep the current value.)"


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


def _overlay(engine: Engine, template: str) -> dict[str, Any]:
    """The catalogue metadata of the entry this template came from (the wizard's), if any."""
    entry = catalogue_for(engine).snapshot().by_text(template)
    return entry.metadata if entry is not None else {}


def form_fields(engine: Engine, dep: Deployment) -> list[dict[str, Any]]:
    """The form schema's inputs of the deployment's template (with its catalogue overlay)."""
    try:
        template = engine.processor.load_text(dep.template, name="template.yaml")
    except CumuloError:
        return []  # a template that no longer loads still shows its raw parameters
    return list(
        form_schema(template, _overlay(engine, dep.template), group=dep.user_group)["inputs"]
    )


def update_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The inputs the update form offers. A secret is never shown back (not even sealed):
    its field starts empty, and left empty it keeps the stored value."""
    out = []
    for f in fields:
        if not f.get("updatable"):
            continue
        if is_sensitive(f["name"], f):
            f = {k: v for k, v in f.items() if k != "default"} | {"required": False}
            f["description"] = ((f.get("description") or "") + " " + KEEP_SECRET).strip()
        out.append(f)
    return out


def current_values(dep: Deployment, fields: list[dict[str, Any]]) -> dict[str, list[str]] | None:
    """The stored parameters as the form's raw values (None: the defaults); no secret."""
    if not fields:
        return None
    given = {k: v for k, v in (dep.parameters or {}).items() if not is_encrypted(v)}
    with_values = [{**f, "default": given[f["name"]]} if f["name"] in given else f for f in fields]
    shown = display_values(with_values)
    raw: dict[str, list[str]] = {}
    for f in fields:
        value = shown[f["name"]]
        if isinstance(value, dict):  # a size
            raw[f"p.{f['name']}"], raw[f"p.{f['name']}.unit"] = [value["number"]], [value["unit"]]
        elif isinstance(value, list) and value and isinstance(value[0], dict):  # table rows
            for col in value[0]:
                raw[f"p.{f['name']}.{col}"] = [str(row.get(col, "")) for row in value]
        elif isinstance(value, list):
            raw[f"p.{f['name']}"] = [str(v) for v in value]
        else:
            raw[f"p.{f['name']}"] = [str(value)]
    return raw


def describe_inputs(dep: Deployment, fields: list[dict[str, Any]]) -> list[Shown]:
    """The parameters as given, labelled by the form schema; secrets masked."""
    by_name = {f["name"]: f for f in fields}
    out = []
    for name, value in (dep.parameters or {}).items():
        spec = by_name.get(name, {})
        secret = is_sensitive(name, spec) or is_encrypted(value)
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


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _flatten(title: str, value: Any) -> list[tuple[str, Any]]:
    """Lists and maps become one labelled row per item (each URL clickable), so
    ``node_creds`` reads "Node creds: user  cloudadm", never as JSON."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]  # an output over one instance is a one-item list
    if isinstance(value, list) and value and all(_scalar(v) or isinstance(v, dict) for v in value):
        return [row for i, v in enumerate(value) for row in _flatten(f"{title} {i + 1}", v)]
    if isinstance(value, dict) and value and all(_scalar(v) for v in value.values()):
        return [(f"{title}: {k.replace('_', ' ')}", v) for k, v in value.items()]
    return [(title, value)]


def describe_outputs(outputs: dict[str, Any]) -> list[Shown]:
    out = []
    for name, value in outputs.items():
        for label, item in _flatten(words.label(name), value):
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

"""How the CLI shows deployments: tables, outputs you can click or copy, the SSH command."""

from __future__ import annotations

import json
import re
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
# Keys of credential objects whose values must not be splashed on a screen.
_SECRET_KEYS = frozenset({"token", "password", "private_key", "secret"})


def status_style(status: str | None) -> str:
    status = status or "UNKNOWN"
    if status.endswith("_COMPLETE"):
        return "green"
    if status.endswith("_FAILED"):
        return "bold red"
    if status.endswith("_IN_PROGRESS"):
        return "yellow"
    return "magenta"


def state_style(state: str | None) -> str:
    if state in ("CONFIGURED", "STARTED", "CREATED"):
        return "green"
    if state == "ERROR":
        return "bold red"
    return "yellow"


def status_text(status: str | None) -> Text:
    return Text(status or "UNKNOWN", style=status_style(status))


def is_queued(dep: dict[str, Any]) -> bool:
    """In progress, and no worker has taken it yet (cumulo's task stays NONE until one does)."""
    in_progress = str(dep.get("status") or "").endswith("_IN_PROGRESS")
    return in_progress and dep.get("task") == "NONE" and not dep.get("statusReason")


def progress_note(dep: dict[str, Any]) -> str:
    """What an unfinished deployment waits for: "queued", or the server's reason as it comes."""
    if is_queued(dep):
        return "queued"
    if str(dep.get("status") or "").endswith("_IN_PROGRESS"):
        return str(dep.get("statusReason") or "").strip()
    return ""


def _mask(value: Any) -> Any:
    """A copy of ``value`` with credential secrets replaced by a hint."""
    if isinstance(value, dict):
        return {
            k: ("<hidden: see --json>" if k in _SECRET_KEYS and v else _mask(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def value_text(value: Any) -> Text:
    """One scalar output value: URLs as hyperlinks (OSC 8 where the terminal has them)."""
    if isinstance(value, str):
        if _URL.match(value):
            return Text(value, style=f"link {value} underline cyan")
        return Text(value)
    if value is None:
        return Text("(not known yet)", style="dim")
    return Text(json.dumps(_mask(value), ensure_ascii=False))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def value_view(value: Any) -> RenderableType:
    """An output value; a map or list of scalars one item a line, so each URL is clickable."""
    value = _mask(value)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]  # get_attribute over a single instance gives a one-item list
    if isinstance(value, dict) and value and all(_is_scalar(v) for v in value.values()):
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for key, item in value.items():
            grid.add_row(f"{key}:", value_text(item))
        return grid
    if isinstance(value, list) and value and all(_is_scalar(v) for v in value):
        return Group(*(value_text(item) for item in value))
    return value_text(value)


def _first(value: Any) -> Any:
    """Outputs over several instances are lists; the SSH command takes the first."""
    while isinstance(value, list) and value:
        value = value[0]
    return value


def ssh_command(outputs: dict[str, Any]) -> str | None:
    """``ssh -p PORT ACCOUNT@HOST`` when the outputs describe a VM, else ``None``."""
    host = _first(outputs.get("node_ip") or outputs.get("public_ip"))
    if not host or not isinstance(host, str):
        return None
    creds = _first(outputs.get("node_creds"))
    account = _first(outputs.get("ssh_account"))
    if not account and isinstance(creds, dict):
        account = creds.get("user")
    if not account:
        return None
    port = _first(outputs.get("ssh_port"))
    if port is None:
        port = next(
            (_first(v) for k, v in outputs.items() if "ssh" in k and "port" in k),
            22,
        )
    return f"ssh -p {port} {account}@{host}"


def outputs_view(outputs: dict[str, Any]) -> RenderableType:
    """The outputs as ``name  value`` rows, never truncated so they copy whole."""
    if not outputs:
        return Text("no outputs", style="dim")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name in sorted(outputs):
        grid.add_row(name, value_view(outputs[name]))
    command = ssh_command(outputs)
    if command is None:
        return grid
    return Group(grid, Text(""), Text.assemble(("SSH  ", "bold"), (command, "bold green")))


def _time(dep: dict[str, Any], key: str) -> str:
    return str(dep.get(key) or "")


def deployment_view(dep: dict[str, Any], elapsed: float | None = None) -> RenderableType:
    """The deployment's identity and status, as a two-column grid."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("uuid", dep.get("uuid", ""))
    grid.add_row("status", status_text(dep.get("status")))
    note = progress_note(dep)
    if note:
        grid.add_row("now", Text(note, style="yellow"))
    elif dep.get("statusReason"):
        grid.add_row("reason", Text(str(dep["statusReason"]), style="red"))
    if elapsed is not None:
        grid.add_row("elapsed", f"{elapsed:.1f} s")
    grid.add_row("created", _time(dep, "creationTime"))
    grid.add_row("updated", _time(dep, "updateTime"))
    if dep.get("cloudProviderName"):
        grid.add_row("site", dep["cloudProviderName"])
    if dep.get("task") and dep["task"] != "NONE":
        grid.add_row("task", dep["task"])
    if dep.get("userGroup"):
        grid.add_row("group", dep["userGroup"])
    return grid


def resources_view(resources: list[dict[str, Any]]) -> RenderableType:
    if not resources:
        return Text("no resources yet", style="dim")
    table = Table(box=None, padding=(0, 2), pad_edge=False, header_style="bold")
    table.add_column("NODE", overflow="fold")
    table.add_column("TYPE", overflow="fold")
    table.add_column("STATE", no_wrap=True, min_width=11)
    table.add_column("PHYSICAL ID", no_wrap=True, min_width=12)
    for res in sorted(resources, key=lambda r: (r.get("toscaNodeName") or "", r.get("uuid"))):
        state = res.get("state")
        table.add_row(
            res.get("toscaNodeName") or "",
            res.get("toscaNodeType") or "",
            Text(state or "", style=state_style(state)),
            (res.get("physicalId") or "")[:12],
        )
    return table


def deployments_table(items: list[dict[str, Any]]) -> Table:
    """One row per deployment; on a narrow terminal only the reason is shortened."""
    table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold")
    table.add_column("UUID", no_wrap=True, min_width=36)
    table.add_column("STATUS", no_wrap=True, min_width=max(_status_width(items), 6))
    table.add_column("CREATED", no_wrap=True, min_width=21)
    table.add_column("DESCRIPTION", no_wrap=True, overflow="ellipsis", ratio=1)
    table.add_column("SITE", no_wrap=True, overflow="ellipsis")
    table.add_column("REASON", no_wrap=True, overflow="ellipsis", ratio=1)
    for dep in items:
        reason = (dep.get("statusReason") or "").strip()
        table.add_row(
            dep.get("uuid", ""),
            status_text(dep.get("status")),
            _time(dep, "creationTime"),
            dep.get("description") or "",
            dep.get("cloudProviderName") or "",
            reason.splitlines()[0] if reason else "",
        )
    return table


def _status_width(items: list[dict[str, Any]]) -> int:
    return max((len(d.get("status") or "UNKNOWN") for d in items), default=0)


def section(title: str) -> Text:
    return Text(title, style="bold underline")

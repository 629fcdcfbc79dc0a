"""``cumulo catalogue``: the services of the server's catalogue (``/catalogue``), as any client."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cumulo.cli.client.output import ENV_HELP, api_client, console, print_json

catalogue_app = typer.Typer(help="The services the server offers you. " + ENV_HELP)

GroupOption = Annotated[
    str | None,
    typer.Option("--group", "-g", metavar="GROUP", help="As this group of yours sees it."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the server's JSON.")]


def _issues(entry: dict[str, Any]) -> str:
    issues = entry.get("issues") or []
    first = issues[0] if issues else None
    if not first:
        return ""
    where = f"{first.get('file')}:{first.get('line')}:{first.get('column')}: "
    more = f" (+{len(issues) - 1} more)" if len(issues) > 1 else ""
    return (where if first.get("file") else "") + str(first.get("message")) + more


@catalogue_app.command("ls")
def catalogue_ls(
    group: GroupOption = None,
    admin_all: Annotated[
        bool,
        typer.Option("--all", "-a", help="Admins: every entry, broken ones too, with its issues."),
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """List the services you may deploy (locked ones are shown, not usable)."""
    with api_client() as api:
        entries = api.catalogue(group, admin_all=admin_all)
    if json_out:
        print_json(entries)
        return
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("NAME", "SERVICE", "ACCESS", "DESCRIPTION"):
        table.add_column(column, overflow="fold")
    for e in entries:
        note = _issues(e) if admin_all else ""
        access = "broken" if admin_all and not e.get("ok", True) else str(e.get("access") or "")
        style = "bold red" if access == "broken" else ("yellow" if access == "locked" else "")
        table.add_row(
            Text(str(e.get("name")), style="bold"),
            Text(str(e.get("display_name") or "")),
            Text(access, style=style),
            Text(note or str(e.get("description") or "")),
        )
    console().print(table)


@catalogue_app.command("show")
def catalogue_show(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The service's name.")],
    group: GroupOption = None,
    template: Annotated[
        bool, typer.Option("--template", help="Print only its TOSCA text (to edit and deploy).")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Show a service: what it is, its inputs, and (with --template) its TOSCA text."""
    with api_client() as api:
        entry = api.catalogue_entry(name, group)
    if json_out:
        print_json(entry)
        return
    if template:
        text = str(entry.get("template") or "")
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    out = console()
    out.print(Text.assemble((str(entry.get("display_name")), "bold"), f"  ({entry.get('name')})"))
    if entry.get("description"):
        out.print(str(entry["description"]))
    if entry.get("access") == "locked":
        out.print(Text("locked for your group: shown, not usable", style="yellow"))
    table = Table(box=None, pad_edge=False, show_edge=False, title="Inputs", title_justify="left")
    for column in ("INPUT", "TYPE", "DEFAULT", "TAB", "DESCRIPTION"):
        table.add_column(column, overflow="fold")
    for f in entry.get("inputs") or []:
        required = " *" if f.get("required") and "default" not in f else ""
        default = f.get("default")
        table.add_row(
            Text(str(f.get("name")) + required, style="bold"),
            Text(str(f.get("type") or "")),
            Text("" if default is None else str(default)),
            Text(str(f.get("tab") or "")),
            Text(
                str(f.get("label") or "")
                + (": " + f["description"] if f.get("description") else "")
            ),
        )
    out.print(table)
    out.print(f"deploy it with: cumulo deploy {entry.get('name')} -p INPUT=VALUE ...")


def register(app: typer.Typer) -> None:
    app.add_typer(catalogue_app, name="catalogue")

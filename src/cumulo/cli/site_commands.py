"""``cumulo sites ls|add|show|rm|probe``: the site registry over the REST API (admins)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cumulo.cli.client.api import ClientError
from cumulo.cli.client.output import ENV_HELP, api_client, console, print_json

app = typer.Typer(help="The federation's sites (admins).\n\n" + ENV_HELP, no_args_is_help=True)


def _health(site: dict[str, Any]) -> str:
    health = site.get("health") or {}
    if health.get("up") is None:
        return "not probed"
    if health.get("up"):
        return f"up ({health.get('latencyMs', 0):.0f} ms)"
    return f"down: {health.get('error', '')}"


def _usage(site: dict[str, Any]) -> str:
    used, quotas = site.get("usage") or {}, site.get("quotas") or {}
    parts = []
    for key, label in (("instances", "inst"), ("cores", "cores"), ("ram_mb", "MB")):
        limit = quotas.get(key)
        parts.append(f"{used.get(key, 0):g}{'/' + format(limit, 'g') if limit else ''} {label}")
    return ", ".join(parts)


@app.command("ls")
def ls(
    all_sites: Annotated[bool, typer.Option("--all", help="Also the removed sites.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the sites with their status, health and usage."""
    with api_client() as api:
        sites = api.sites(include_removed=all_sites)
    if json_out:
        print_json(sites)
        return
    table = Table(box=None, header_style="bold")
    for col in ("NAME", "KIND", "STATUS", "PUBLIC", "HEALTH", "USAGE", "ENDPOINT"):
        table.add_column(col, overflow="fold")
    for s in sites:
        table.add_row(
            s["name"], s["kind"], s["status"], "yes" if s.get("public") else "no",
            _health(s), _usage(s), s.get("endpoint", ""),
        )  # fmt: skip
    console().print(table)


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="The site's name.")]) -> None:
    """Show a site as JSON (credentials are never shown)."""
    with api_client() as api:
        print_json(api.site(name))


def _definitions(path: Path) -> list[dict[str, Any]]:
    import yaml  # here: `cumulo --help` starts without it

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, yaml.YAMLError) as exc:
        raise ClientError(f"{path}: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("sites"), list):
        return doc["sites"]  # a registry file: its sites (SLAs: POST /slas)
    if isinstance(doc, dict):
        return [doc]
    raise ClientError(f"{path}: expected a site (a mapping) or a registry file with 'sites:'")


@app.command("add")
def add(
    file: Annotated[
        Path | None, typer.Argument(help="A site definition (YAML or JSON), or a registry file.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A site name (without FILE).")] = None,
    kind: Annotated[str, typer.Option(help="Driver kind (without FILE).")] = "docker",
    endpoint: Annotated[str, typer.Option(help="e.g. tcp://127.0.0.1:2375")] = "",
    public: Annotated[bool, typer.Option(help="Open to deployments without a group.")] = False,
    replace: Annotated[bool, typer.Option(help="Replace a site of the same name.")] = False,
) -> None:
    """Add sites from FILE, or one site from the options."""
    with api_client() as api:
        if file is not None:
            bodies = _definitions(file)
        elif name:
            bodies = [{"name": name, "kind": kind, "endpoint": endpoint, "public": public}]
        else:
            raise ClientError("give a FILE or --name")
        for body in bodies:
            site = api.add_site(body, replace=replace)
            console().print(f"{site['name']}  {site['status']}  {site.get('endpoint', '')}")


@app.command("rm")
def rm(name: Annotated[str, typer.Argument(help="The site's name.")]) -> None:
    """Remove a site (kept as 'removed' for its deployments' history)."""
    with api_client() as api:
        api.remove_site(name)
    console().print(f"{name} removed")


@app.command("probe")
def probe(name: Annotated[str, typer.Argument(help="The site's name.")]) -> None:
    """Probe a site's health now."""
    with api_client() as api:
        site = api.probe_site(name)
    console().print(f"{site['name']}: {_health(site)}")
    if not (site.get("health") or {}).get("up"):
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sites")

"""Client commands of the CLI: deploy, ls, show, rm, logs, template.

They speak HTTP to the REST API (``CUMULO_URL``, default
http://127.0.0.1:8000; ``CUMULO_TOKEN`` sent as a bearer token), like any other
client: nothing here imports the server, store or engine.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.text import Text

from cumulo.cli.client.api import (
    FAILED_STATUSES,
    FINAL_STATUSES,
    ApiError,
    CumuloApi,
)
from cumulo.cli.client.output import (
    ENV_HELP,
    api_client,
    complain,
    console,
    err_console,
    print_json,
)
from cumulo.cli.client.progress import Backoff, wait_for_final
from cumulo.cli.client.render import (
    deployment_view,
    deployments_table,
    outputs_view,
    resources_view,
    section,
)
from cumulo.cli.client.request import build_params, locate_in
from cumulo.cli.client.short_ids import resolve
from cumulo.cli.client.ssh_key import fill_ssh_key
from cumulo.cli.client.stream import follow_events
from cumulo.cli.client.template_source import resolve_template

ID_HELP = "The deployment's id, or a unique prefix of it (as git takes commits)."


def _show_result(dep: dict[str, Any], json_out: bool) -> None:
    """The final state of a deployment; exit 1, saying why, when it failed."""
    status = dep.get("status", "")
    if json_out:
        print_json(dep)
    elif status not in FAILED_STATUSES:
        out = console()
        out.print(section("Outputs"))
        out.print(outputs_view(dep.get("outputs") or {}))
    if status in FAILED_STATUSES:
        complain(status, dep.get("statusReason") or "no reason given")
        raise typer.Exit(1)


def _show_scheduling(decision: dict[str, Any], json_out: bool) -> None:
    """A dry run's answer: each site's verdict; exit 1 when no site would take it."""
    if json_out:
        print_json(decision)
    else:
        out = console()
        out.print(section("Scheduling"))
        for c in decision.get("candidates") or []:
            rank = f"#{c['rank']}" if c.get("rank") else "  "
            out.print(Text.assemble(f"{rank:>4} ", (c["site"], "bold"), f"  {c['reason']}"))
        if decision.get("omitted"):
            out.print(f"     ... and {decision['omitted']} more")
        ranked = decision.get("ranked") or []
        if ranked:
            out.print(f"would try: {', '.join(ranked)}")
    if decision.get("problem"):
        complain("no site", decision["problem"])
        raise typer.Exit(1)


def deploy(
    template: Annotated[
        str,
        typer.Argument(
            metavar="TEMPLATE",
            help="A TOSCA file, or the name of a service of the server's catalogue "
            "(e.g. run-docker; `cumulo catalogue ls` lists them).",
        ),
    ],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY=VALUE",
            help="A template input. KEY=VALUE (text the server coerces to the input's "
            "type; an inline JSON list or map such as [8080] is sent as one), "
            "KEY:=JSON (any typed JSON value) or KEY=@FILE (the file's text). "
            "Repeatable; overrides --params.",
        ),
    ] = None,
    params_file: Annotated[
        str | None,
        typer.Option("--params", metavar="FILE.json", help="Inputs as a JSON object."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", "-w", help="Show progress until a final status.")
    ] = False,
    timeout: Annotated[
        int | None,
        typer.Option("--timeout", min=1, metavar="MINS", help="Overall timeout in minutes."),
    ] = None,
    keep_last_attempt: Annotated[
        bool,
        typer.Option("--keep-last-attempt", help="Keep the resources of a failed attempt."),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the deployment as JSON.")] = False,
    group: Annotated[
        str | None,
        typer.Option(
            "--group", "-g", metavar="GROUP", help="Deploy for this group (its SLAs' sites)."
        ),
    ] = None,
    site: Annotated[
        str | None,
        typer.Option("--site", metavar="SITE", help="Deploy on this site only (manual placement)."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show where it would go and why, without deploying."),
    ] = False,
) -> None:
    """Deploy a service: submit a template with its inputs.

    Exits 1 when the deployment ends in CREATE_FAILED (with --wait), printing why.

    Examples:

      cumulo deploy run-docker -p docker_image=cumulo/httpd:1 --wait

      cumulo deploy vm -p ssh_public_key=@~/.ssh/id_ed25519.pub --wait

    A service that needs an SSH key and is given none gets your newest key on
    the server (`cumulo keys ls`). A name is looked up in the server's catalogue
    (`cumulo catalogue ls`); a path is read here.
    """
    with api_client() as api:
        source = resolve_template(api, template, group)
        text = source.text
        params = build_params(param or [], params_file)
        using = fill_ssh_key(api, text, params)
        if using:
            err_console().print(using, soft_wrap=True)
        body: dict[str, Any] = {"template": text, "parameters": params}
        if timeout is not None:
            body["timeoutMins"] = timeout
        if keep_last_attempt:
            body["keepLastAttempt"] = True
        if group:
            body["userGroup"] = group
        if site:
            body["site"] = site
        with _located(source.label):
            if dry_run:
                _show_scheduling(api.scheduling(body), json_out)
                return
            dep = api.create(body)
        uuid = dep["uuid"]
        if not wait:
            if json_out:
                print_json(dep)
            else:
                console().print(f"{uuid}  {dep.get('status', '')}")
                err_console().print(f"follow it with: cumulo show {uuid}")
            return
        err = err_console()
        err.print(Text.assemble("deployment ", (uuid, "bold")))
        limit = timeout * 60 + 60 if timeout else None  # the server times out first
        final = wait_for_final(api, uuid, err, timeout=limit)
        assert final is not None  # gone_is_final is off: a vanished deployment raised
        _show_result(final, json_out)


@contextmanager
def _located(label: str) -> Iterator[None]:
    """TOSCA issues name the user's file, or the catalogue service by its name.

    Never a catalogue folder's path: it says nothing to the user.
    """
    try:
        yield
    except ApiError as exc:
        if exc.code != 400:
            raise
        raise ApiError(exc.code, exc.title, locate_in(exc.detail, label)) from None


def ls(
    all_pages: Annotated[
        bool, typer.Option("--all", "-a", help="Follow every page, not only the newest.")
    ] = False,
    size: Annotated[int, typer.Option("--size", min=1, max=1000, help="Page size.")] = 20,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List deployments, newest first."""
    with api_client() as api:
        items, total = api.deployments(size=size, all_pages=all_pages)
        if json_out:
            print_json(items)
            return
        if not items:
            err_console().print("no deployments")
            return
        console().print(deployments_table(items))
        if total > len(items):
            err_console().print(f"{len(items)} of {total} shown; --all lists them all")


def show(
    uuid: Annotated[str, typer.Argument(metavar="ID", help=ID_HELP)],
    json_out: Annotated[bool, typer.Option("--json", help="Print the deployment as JSON.")] = False,
) -> None:
    """Show a deployment: status, resources, outputs (links, the SSH command)."""
    with api_client() as api:
        uuid = resolve(api, uuid)
        dep = api.get(uuid)
        if json_out:
            print_json(dep)
            return
        resources = api.resources(uuid)
        out = console()
        out.print(deployment_view(dep))
        out.print()
        out.print(section("Resources"))
        out.print(resources_view(resources))
        out.print()
        out.print(section("Outputs"))
        out.print(outputs_view(dep.get("outputs") or {}))


def rm(
    uuid: Annotated[str, typer.Argument(metavar="ID", help=ID_HELP)],
    wait: Annotated[bool, typer.Option("--wait", "-w", help="Wait until it is gone.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Delete even if the site cannot confirm it.")
    ] = False,
) -> None:
    """Delete a deployment and everything it created."""
    with api_client() as api:
        uuid = resolve(api, uuid)
        api.delete(uuid, force=force)
        if not wait:
            err_console().print(f"deletion of {uuid} requested")
            return
        final = wait_for_final(api, uuid, err_console(), gone_is_final=True, live=False)
        if final is not None and final.get("status") in FAILED_STATUSES:
            reason = final.get("statusReason") or "no reason given"
            complain(final["status"], reason)
            raise typer.Exit(1)
        console().print(f"{uuid} deleted")


def _follow(api: CumuloApi, uuid: str, write: Callable[[str], None]) -> None:
    """Print the log, live, until the deployment reaches a final status (or is gone).

    Over cumulo's event stream; a server without it (INDIGO's) is polled.
    """
    try:
        for event in follow_events(api, uuid):
            write(event["line"] + "\n")
        return
    except ApiError as exc:
        if exc.code != 404 or api.find(uuid) is None:
            raise
    _poll_log(api, uuid, write)


def _poll_log(api: CumuloApi, uuid: str, write: Callable[[str], None]) -> None:
    """Print the log's new part until the deployment reaches a final status."""
    shown = ""
    backoff = Backoff()
    while True:
        dep = api.find(uuid)
        finished = dep is None or dep.get("status") in FINAL_STATUSES
        text = api.log(uuid) if dep is not None else shown
        if text != shown:
            write(text[len(shown) :] if text.startswith(shown) else "\n" + text)
            shown = text
            backoff.reset()
        if finished:
            return
        time.sleep(backoff.next())


def logs(
    uuid: Annotated[str, typer.Argument(metavar="ID", help=ID_HELP)],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing until a final status.")
    ] = False,
) -> None:
    """Print a deployment's log."""

    def write(chunk: str) -> None:
        sys.stdout.write(chunk)
        sys.stdout.flush()

    with api_client() as api:
        uuid = resolve(api, uuid)
        if follow:
            _follow(api, uuid, write)
        else:
            write(api.log(uuid))


def template(uuid: Annotated[str, typer.Argument(metavar="ID", help=ID_HELP)]) -> None:
    """Print the TOSCA template a deployment was made from."""
    with api_client() as api:
        text = api.template(resolve(api, uuid))
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def register(app: typer.Typer) -> None:
    for command in (deploy, ls, show, rm, logs, template):
        app.command(help=(inspect.getdoc(command) or "") + "\n\n" + ENV_HELP)(command)

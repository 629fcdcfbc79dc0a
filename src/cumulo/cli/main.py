"""The ``cumulo`` command: server commands and client commands.

Each group of commands lives in its own module under ``cumulo.cli`` with a
``register(app)`` function; this module only assembles them, so adding a
command never means editing another command's file.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import typer

# httpx's package imports its own command line (click, pygments, rich.syntax: a
# tenth of `cumulo ls`'s start) whenever it can; marked absent, httpx offers a stub
# `httpx.main` instead. cumulo never runs httpx's command line.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

app = typer.Typer(
    name="cumulo",
    help="cumulo: deploy TOSCA services on a federation of clouds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click's plain help: Typer's rich panels print a stray <bool> beside every flag.
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """cumulo: deploy TOSCA services on a federation of clouds."""


@app.command()
def version() -> None:
    """Print cumulo's version."""
    from cumulo import __version__

    typer.echo(__version__)


# Modules contributing commands; a module missing here is simply not offered.
COMMAND_MODULES = (
    "cumulo.cli.tosca_commands",  # validate, inputs
    "cumulo.cli.server_commands",  # serve, worker
    "cumulo.cli.doctor",  # doctor
    "cumulo.cli.account_commands",  # users, tokens, secrets (server side)
    "cumulo.cli.client_commands",  # deploy, ls, show, rm, logs, template
    "cumulo.cli.catalogue_commands",  # catalogue ls|show
    "cumulo.cli.key_commands",  # keys ls|add|generate|private|rm
    "cumulo.cli.site_commands",  # sites ls|add|show|rm|probe
)

# Run as the `cumulo` command, these words need only some modules, so they start
# without the client, the server and their libraries. Any other word loads all.
_CLIENT = ("cumulo.cli.client_commands",)
FAST_PATHS = {
    "version": (),
    "validate": ("cumulo.cli.tosca_commands",),
    "inputs": ("cumulo.cli.tosca_commands",),
    **dict.fromkeys(("deploy", "ls", "show", "rm", "logs", "template"), _CLIENT),
    "keys": ("cumulo.cli.key_commands",),
    "catalogue": ("cumulo.cli.catalogue_commands",),
    "sites": ("cumulo.cli.site_commands",),
}


def modules_for(argv: list[str]) -> tuple[str, ...]:
    launched = Path(argv[0]).name in ("cumulo", "main.py") if argv else False
    word = argv[1] if launched and len(argv) > 1 else ""
    return FAST_PATHS.get(word, COMMAND_MODULES)


for _name in modules_for(sys.argv):
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise
        continue
    _module.register(app)


if __name__ == "__main__":
    app()

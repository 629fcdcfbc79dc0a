"""What every client command shares: its consoles, its JSON output and its API client.

A user-facing error of the API client becomes one red line and exit code 1;
text from the server is printed as is, never read as markup.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from cumulo.cli.client.api import ClientError, CumuloApi

ENV_HELP = "Talks to CUMULO_URL (default http://127.0.0.1:8000) with CUMULO_TOKEN if set."


def console() -> Console:
    console = Console(highlight=False, markup=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped into grep or a file: never cut a uuid or a URL to fit 80 columns.
        console = Console(highlight=False, markup=False, width=1000)
    return console


def err_console() -> Console:
    return Console(stderr=True, highlight=False, markup=False)


def complain(label: str, message: str) -> None:
    """One red label and the message as is: server text is never read as markup."""
    err_console().print(Text.assemble((label, "bold red"), ": ", message), soft_wrap=True)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@contextmanager
def api_client() -> Iterator[CumuloApi]:
    """An API client; a user-facing error becomes one red line and exit code 1."""
    api = CumuloApi()
    try:
        yield api
    except ClientError as exc:
        complain("error", exc.message)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err_console().print("interrupted: the work goes on on the server (see `cumulo ls`)")
        raise typer.Exit(130) from None
    finally:
        api.close()

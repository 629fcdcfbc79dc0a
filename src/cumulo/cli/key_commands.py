"""``cumulo keys``: your SSH keys on the server (``/users/me/keys``), as any API client."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from cumulo.cli.client.api import ClientError
from cumulo.cli.client.output import ENV_HELP, api_client, console, print_json

KEY_ID_HELP = "The key's id, as `cumulo keys ls` shows it."

keys_app = typer.Typer(help="Your SSH keys: VMs you deploy get the newest one. " + ENV_HELP)


@keys_app.command("ls")
def keys_ls(
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List your keys."""
    with api_client() as api:
        keys = api.keys()
    if json_out:
        print_json(keys)
        return
    for k in keys:
        private = "private key kept" if k.get("hasPrivateKey") else "uploaded"
        console().print(f"{k['id']}  {k['name']}  {k['fingerprint']}  ({private})")


@keys_app.command("add")
def keys_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A name to tell it by.")],
    public_key_file: Annotated[Path, typer.Argument(metavar="FILE", help="A .pub file")] = Path(
        "~/.ssh/id_ed25519.pub"
    ),
) -> None:
    """Upload a public key (default ~/.ssh/id_ed25519.pub)."""
    path = public_key_file.expanduser()
    with api_client() as api:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ClientError(f"cannot read {path}: {exc}") from exc
        key = api.add_key(name, text)
    console().print(f"added {key['id']}  {key['fingerprint']}")


@keys_app.command("generate")
def keys_generate(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A name to tell it by.")] = "cumulo",
    save: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Also save the private key here (mode 0600)"),
    ] = None,
) -> None:
    """Have cumulo make an ed25519 pair; it keeps the private key encrypted for you."""
    with api_client() as api:
        key = api.add_key(name, None)
        if save is not None:
            _save(save.expanduser(), api.private_key(key["id"]))
    console().print(f"generated {key['id']}  {key['fingerprint']}")
    console().print(key["publicKey"])


def _save(path: Path, pem: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ClientError(f"cannot create {path}: {exc}") from exc
    with os.fdopen(fd, "w") as f:
        f.write(pem)


@keys_app.command("private")
def keys_private(
    key_id: Annotated[str, typer.Argument(metavar="KEY_ID", help=KEY_ID_HELP)],
    save: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Save it here (mode 0600).")
    ] = None,
) -> None:
    """Print (or save, mode 0600) the private key of a pair cumulo generated."""
    with api_client() as api:
        pem = api.private_key(key_id)
        if save is not None:
            _save(save.expanduser(), pem)
            return
    typer.echo(pem, nl=False)


@keys_app.command("rm")
def keys_rm(key_id: Annotated[str, typer.Argument(metavar="KEY_ID", help=KEY_ID_HELP)]) -> None:
    """Delete one of your keys."""
    with api_client() as api:
        api.delete_key(key_id)
    console().print(f"key {key_id} deleted")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")

"""Server-side commands on the data directory: ``users``, ``tokens`` and ``secrets``.

They act on the configured database directly (like ``cumulo serve``), so they
run on the server, as whoever may read its data directory.
"""

from __future__ import annotations

import secrets as random
from datetime import UTC
from typing import Annotated, Any

import typer

from cumulo.cli.server_commands import DataDir, open_engine, server_settings

users_app = typer.Typer(help="Local accounts (server side, on the data directory).")
tokens_app = typer.Typer(help="API tokens (server side): create, list, revoke.")
secrets_app = typer.Typer(help="Encryption keys of stored secrets (server side).")


def _open(data_dir: Any) -> Any:
    return open_engine(server_settings(data_dir=data_dir))


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1) from None


def _new_password(generate: bool) -> tuple[str, bool]:
    if generate:
        return random.token_urlsafe(12), True
    return typer.prompt("password", hide_input=True, confirmation_prompt=True), False


@users_app.command("add")
def users_add(
    name: str,
    group: Annotated[list[str] | None, typer.Option("--group", "-g", help="Repeatable")] = None,
    generate: Annotated[bool, typer.Option(help="Generate the password and print it")] = False,
    admin: Annotated[bool, typer.Option(help="An administrator: sees and manages all")] = False,
    data_dir: DataDir = None,
) -> None:
    """Add a local user (password prompted, or generated with --generate)."""
    from cumulo.auth import audit
    from cumulo.auth.accounts import add_local_user
    from cumulo.errors import CumuloError

    engine = _open(data_dir)
    password, generated = _new_password(generate)
    try:
        with engine.db.session() as s:
            add_local_user(s, name, password, group or [], admin=admin)
            audit.record(s, "cli", "user-create", name, ",".join(group or []))
    except CumuloError as exc:
        _fail(exc)
    typer.echo(f"user {name} added" + (f"; password: {password}" if generated else ""))


@users_app.command("ls")
def users_ls(data_dir: DataDir = None) -> None:
    """List local users and their groups."""
    from cumulo.auth.accounts import local_users

    engine = _open(data_dir)
    with engine.db.session() as s:
        for u in local_users(s):
            role = "admin" if u.is_admin else "user"
            typer.echo(f"{u.name}\t{role}\t{','.join(u.groups or []) or '-'}")


@users_app.command("rm")
def users_rm(name: str, data_dir: DataDir = None) -> None:
    """Remove a local user, their tokens and keys (their deployments stay)."""
    from cumulo.auth import audit
    from cumulo.auth.accounts import require_local_user
    from cumulo.errors import CumuloError

    engine = _open(data_dir)
    try:
        with engine.db.session() as s:
            s.delete(require_local_user(s, name))
            audit.record(s, "cli", "user-delete", name)
    except CumuloError as exc:
        _fail(exc)
    typer.echo(f"user {name} removed")


@users_app.command("passwd")
def users_passwd(
    name: str,
    generate: Annotated[bool, typer.Option(help="Generate the password and print it")] = False,
    data_dir: DataDir = None,
) -> None:
    """Set a local user's password."""
    from cumulo.auth import audit
    from cumulo.auth.accounts import set_password
    from cumulo.errors import CumuloError

    engine = _open(data_dir)
    password, generated = _new_password(generate)
    try:
        with engine.db.session() as s:
            set_password(s, name, password)
            audit.record(s, "cli", "password-change", name)
    except CumuloError as exc:
        _fail(exc)
    typer.echo(f"password of {name} changed" + (f": {password}" if generated else ""))


@users_app.command("groups")
def users_groups(name: str, groups: list[str], data_dir: DataDir = None) -> None:
    """Set a local user's groups (replacing the old ones)."""
    from cumulo.auth import audit
    from cumulo.auth.accounts import check_groups, require_local_user
    from cumulo.errors import CumuloError

    engine = _open(data_dir)
    try:
        with engine.db.session() as s:
            require_local_user(s, name).groups = check_groups(groups)
            audit.record(s, "cli", "user-groups", name, ",".join(groups))
    except CumuloError as exc:
        _fail(exc)
    typer.echo(f"groups of {name}: {', '.join(groups)}")


@tokens_app.command("create")
def tokens_create(
    user: str,
    days: Annotated[float | None, typer.Option(help="Lifetime [CUMULO_API_TOKEN_DAYS]")] = None,
    name: Annotated[str, typer.Option(help="A label to recognise it")] = "",
    data_dir: DataDir = None,
) -> None:
    """Print a new API token for a local user (for CUMULO_TOKEN)."""
    from cumulo.auth import audit
    from cumulo.auth.accounts import require_local_user
    from cumulo.auth.api_tokens import issue_token
    from cumulo.errors import CumuloError

    engine = _open(data_dir)
    lifetime = engine.settings.api_token_days if days is None else days
    try:
        with engine.db.session() as s:
            token = issue_token(s, require_local_user(s, user), name=name, days=lifetime or None)
            audit.record(s, "cli", "token-create", user, name)
    except CumuloError as exc:
        _fail(exc)
    typer.echo(token)


@tokens_app.command("ls")
def tokens_ls(user: str, data_dir: DataDir = None) -> None:
    """List a local user's tokens (ids, not the tokens)."""
    from cumulo.auth.accounts import require_local_user
    from cumulo.auth.api_tokens import tokens_of
    from cumulo.errors import CumuloError

    engine = _open(data_dir)
    try:
        with engine.db.session() as s:
            for t in tokens_of(s, require_local_user(s, user)):
                state = "revoked" if t.revoked_at else "active"
                exp = t.expires_at.astimezone(UTC).strftime("%Y-%m-%d") if t.expires_at else "never"
                typer.echo(f"{t.id}\t{state}\texpires {exp}\t{t.name}")
    except CumuloError as exc:
        _fail(exc)


@tokens_app.command("revoke")
def tokens_revoke(token_id: str, data_dir: DataDir = None) -> None:
    """Revoke a token by its id (the part after cml_ and before the next _)."""
    from cumulo.auth import audit
    from cumulo.auth.api_tokens import revoke_token

    engine = _open(data_dir)
    with engine.db.session() as s:
        if not revoke_token(s, None, token_id):
            _fail(LookupError(f"no token with id {token_id}"))
        audit.record(s, "cli", "token-revoke", token_id)
    typer.echo(f"token {token_id} revoked")


@secrets_app.command("rotate")
def secrets_rotate(data_dir: DataDir = None) -> None:
    """Add a new primary key and re-encrypt every stored secret with it."""
    from cumulo.secrets import rotate_keyring
    from cumulo.store.reencrypt import reencrypt_all

    engine = _open(data_dir)
    try:
        box = rotate_keyring(engine.settings)
    except ValueError as exc:
        _fail(exc)
    n = reencrypt_all(engine.db, box)
    typer.echo(f"new key added ({box.key_count} in the ring); {n} row(s) re-encrypted")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(secrets_app, name="secrets")

"""``cumulo doctor``: checks the machine the embedded default runs on.

Each check says what it found and, for a problem, what to do about it: the
Docker engine, compose, the local site's images, Ansible, the database and
its schema, and the ports ``cumulo serve`` will listen on. Exit code 1 when
something needs fixing.
"""

from __future__ import annotations

import shutil
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # pydantic settings load when the command runs (CLI start-up time)
    from cumulo.config import Settings

BUILD = "run scripts/build-images.sh"


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""


def _docker(settings: Settings) -> Finding:
    import docker

    try:
        client = docker.DockerClient(base_url=settings.docker_host, timeout=10)
        version = client.version().get("Version", "?")
    except Exception as exc:  # any failure means no usable engine
        return Finding("Docker engine", False, f"not reachable at {settings.docker_host}: {exc}",
                       "start dockerd (scripts/setup.sh does), or set DOCKER_HOST")  # fmt: skip
    return Finding("Docker engine", True, f"{version} at {settings.docker_host}")


def _address_pools(settings: Settings) -> Finding:
    """Each deployment has its own networks: Docker's default pools hold about 30."""
    import json
    from pathlib import Path

    path = Path("/etc/docker/daemon.json")
    try:
        pools = json.loads(path.read_text()).get("default-address-pools") if path.exists() else None
    except (OSError, ValueError) as exc:
        return Finding("network pools", False, f"{path}: {exc}", "fix the file")
    if not pools:
        fix = (f'set "default-address-pools" in {path} (scripts/setup.sh writes '
               '[{"base": "172.16.0.0/12", "size": 24}]) and restart dockerd')  # fmt: skip
        return Finding("network pools", False, "Docker's default: about 30 deployments", fix)
    given = ", ".join(f"{p.get('base')} in /{p.get('size')}s" for p in pools)
    return Finding("network pools", True, given)


def _compose(settings: Settings) -> Finding:
    from cumulo.drivers.docker.compose import compose_command

    found = compose_command()
    if found is None:
        return Finding("compose", False, "neither `docker compose` nor `docker-compose` works",
                       "apt-get install docker-compose (scripts/setup.sh does)")  # fmt: skip
    return Finding("compose", True, " ".join(found))


def _images(settings: Settings) -> Finding:
    import docker

    from cumulo.drivers.docker_images import BUILT_IMAGES

    try:
        client = docker.DockerClient(base_url=settings.docker_host, timeout=10)
        have = {tag for image in client.images.list() for tag in image.tags}
    except Exception:  # reported by the engine check
        return Finding("site images", False, "cannot list images without the engine", BUILD)
    missing = [image for image in BUILT_IMAGES if image not in have]
    if missing:
        return Finding("site images", False, f"missing: {', '.join(missing)}", BUILD)
    return Finding("site images", True, ", ".join(BUILT_IMAGES))


def _ansible(settings: Settings) -> Finding:
    playbook = Path(sys.executable).with_name("ansible-playbook")
    if not playbook.exists() and shutil.which("ansible-playbook") is None:
        return Finding("Ansible", False, "ansible-playbook not found",
                       "pip install ansible-core ansible-runner in cumulo's venv")  # fmt: skip
    return Finding("Ansible", True, str(playbook if playbook.exists() else "on PATH"))


def _database(settings: Settings) -> Finding:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from cumulo.store import Database
    from cumulo.store.migrate import alembic_config

    where = settings.db_url.split("@")[-1]  # no password in the message
    try:
        if settings.db_url.startswith("sqlite:///"):
            settings.ensure_data_dir()
        db = Database(settings.db_url)
        with db.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(db.engine)).get_current_head()
        db.dispose()
    except Exception as exc:  # any failure to connect is the finding
        return Finding("database", False, f"{where}: {exc}",
                       "check CUMULO_DATABASE_URL and that the server runs")  # fmt: skip
    if current != head:
        state = f"schema at {current or 'nothing'}, code expects {head}"
        return Finding("database", True, f"{where} ({state}: cumulo serve migrates it)")
    return Finding("database", True, f"{where} (schema {head})")


def _port(what: str, host: str, port: int, kind: int = socket.SOCK_STREAM) -> Finding:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            return Finding(f"{what} port", False, f"{host}:{port} is taken ({exc.strerror})",
                           "stop what listens there, or choose another port")  # fmt: skip
    return Finding(f"{what} port", True, f"{host}:{port} is free")


def findings(settings: Settings) -> list[Finding]:
    checks: list[Callable[[Settings], Finding]] = [
        _docker,
        _address_pools,
        _compose,
        _images,
        _ansible,
        _database,
    ]
    found = [check(settings) for check in checks]
    found.append(_port("API", settings.host, settings.port))
    if settings.dns_port:
        found.append(_port("DNS", "127.0.0.1", settings.dns_port, socket.SOCK_DGRAM))
    return found


def doctor(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the database and state live (./var)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="The port cumulo serve will use [8000]")] = None,
) -> None:
    """Check the machine: Docker engine, compose, images, Ansible, database, free ports."""
    from cumulo.cli.server_commands import server_settings

    settings = server_settings(data_dir=data_dir, port=port)
    problems = 0
    for f in findings(settings):
        mark = typer.style("ok  ", fg="green") if f.ok else typer.style("FAIL", fg="red")
        typer.echo(f"{mark} {f.check}: {f.detail}")
        if not f.ok:
            problems += 1
            typer.echo(f"     → {f.fix}")
    if problems:
        typer.echo(f"{problems} problem(s) to fix", err=True)
        raise typer.Exit(1)
    typer.echo("everything cumulo needs is here")


def register(app: typer.Typer) -> None:
    app.command()(doctor)

"""``cumulo serve`` (API and in-process workers) and ``cumulo worker`` (workers alone)."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # pydantic settings load when a command runs (CLI start-up time)
    from cumulo.config import Settings


def server_settings(**overrides: Any) -> Settings:
    """Settings from CUMULO_* variables, with the command line's options over them."""
    from pydantic import ValidationError

    from cumulo.config import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        typer.echo(f"error: invalid settings (CUMULO_* variables or options): {problems}", err=True)
        raise typer.Exit(2) from None


def open_engine(settings: Settings) -> Any:
    from cumulo.engine.runtime import Engine
    from cumulo.errors import CumuloError

    try:
        return Engine(settings)  # applies the migrations
    except (ValueError, CumuloError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _load_registry(engine: Any, settings: Settings) -> None:
    """The site registry file (CUMULO_SITES_FILE), if any; exit 2 naming what is wrong."""
    if settings.sites_file is None:
        return
    from cumulo.engine.sites.registry import load_registry_file
    from cumulo.errors import CumuloError

    try:
        n_sites, n_slas = load_registry_file(engine, settings.sites_file)
    except CumuloError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"site registry {settings.sites_file}: {n_sites} site(s), {n_slas} SLA(s)")


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _register_local_site(engine: Any, settings: Settings) -> None:
    from cumulo.drivers.docker_images import DEFAULT_IMAGES
    from cumulo.engine.sites.local_site import probe_and_register

    name = settings.local_site_name
    options = {  # compose projects' folders; the zone of DNS names in outputs
        "work_dir": str(settings.data_dir.resolve() / "sites" / name),
        "dns_zone": settings.dns_zone,
    }
    problem = probe_and_register(
        engine.db, name, "docker", settings.docker_host, DEFAULT_IMAGES, options
    )
    if problem:
        typer.echo(
            f"warning: no Docker engine at {settings.docker_host} ({problem}); "
            f"the local site '{settings.local_site_name}' is unavailable and deployments "
            "will fail until cumulo is restarted with Docker running",
            err=True,
        )
    else:
        typer.echo(
            f"local site '{settings.local_site_name}': Docker engine at {settings.docker_host}"
        )


def _first_start(engine: Any, settings: Settings) -> None:
    """The local admin (password printed once when generated) and the local CLI's token."""
    from cumulo.auth.bootstrap import ensure_admin, ensure_cli_token

    password = ensure_admin(engine.db, settings)
    if password:
        typer.echo(
            "\n  First start: created the local account 'admin' with password\n\n"
            f"      {password}\n\n"
            "  (shown only this once; change it with `cumulo users passwd admin`)\n"
        )
    path = ensure_cli_token(engine.db, settings)
    typer.echo(f"admin API token for the cumulo CLI on this machine: {path}")


DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the database and state live (./var)")
]


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [8000]")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker threads [2]; 0: API only")] = None,
    data_dir: DataDir = None,
    sites_file: Annotated[
        Path | None,
        typer.Option("--sites-file", help="Site registry (sites and SLAs, YAML) to load"),
    ] = None,
) -> None:
    """Run the API and workers on the embedded default (SQLite, the local Docker site)."""
    import uvicorn

    from cumulo.server import build_app

    settings = server_settings(
        host=host, port=port, workers=workers, data_dir=data_dir, sites_file=sites_file
    )
    _logging()
    engine = open_engine(settings)
    _load_registry(engine, settings)
    _register_local_site(engine, settings)
    _first_start(engine, settings)
    app = build_app(settings, engine=engine)
    dns = _dns_responder(settings)
    typer.echo(
        f"cumulo is serving at http://{settings.host}:{settings.port} (data: {settings.data_dir})"
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    if dns is not None:
        dns.close()
    engine.close()


def _dns_responder(settings: Settings) -> Any:
    """The wildcard DNS responder of the local site's names, when a port is set."""
    from cumulo.server import start_dns_responder

    try:
        dns = start_dns_responder(settings)
    except OSError as exc:
        typer.echo(f"error: DNS responder on 127.0.0.1:{settings.dns_port}: {exc}", err=True)
        raise typer.Exit(1) from None
    if dns is None:
        return None
    typer.echo(f"DNS: *.<ip>.{settings.dns_zone} answered on 127.0.0.1:{dns.port} (udp)")
    return dns


def worker(
    workers: Annotated[int | None, typer.Option(help="Worker threads [2]")] = None,
    data_dir: DataDir = None,
) -> None:
    """Run workers alone against the configured database (beside a `cumulo serve`)."""
    from cumulo.engine.jobs.worker import WorkerPool

    settings = server_settings(workers=workers, data_dir=data_dir)
    _logging()
    engine = open_engine(settings)
    _load_registry(engine, settings)
    pool = WorkerPool(engine, max(settings.workers, 1))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    pool.start()
    typer.echo(f"cumulo worker: {len(pool.workers)} worker(s) on {settings.db_url}")
    stop.wait()
    pool.stop()
    engine.close()


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)

"""The composition root: the one module that knows every room.

``build_app`` assembles the process's application: the engine (its database
migrated), the API (``cumulo.api``) with the dashboard (``cumulo.web``)
mounted beside it, and, for the application's lifetime, the job workers with
their health prober and callback sender (``cumulo.engine.jobs.worker``).
``start_dns_responder`` is the local site's wildcard DNS, when configured.
``cumulo serve`` and every test or benchmark that needs the whole application
build it here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.types import Lifespan

from cumulo.api import create_api
from cumulo.auth.authenticator import Authenticator
from cumulo.config import Settings
from cumulo.engine.jobs.worker import WorkerPool
from cumulo.engine.runtime import Engine
from cumulo.web import install_dashboard

if TYPE_CHECKING:
    from cumulo.drivers.docker.dns import DnsResponder


def build_app(
    settings: Settings, *, engine: Engine | None = None, workers: int | None = None
) -> FastAPI:
    """The API and the dashboard over ``engine`` (made from ``settings`` if not given).

    ``workers`` worker threads run beside them for the app's lifetime
    (default: ``settings.workers``; 0 for no workers, as tests of pages and the API use).
    """
    engine = engine or Engine(settings)
    app = create_api(
        lifespan=running_workers(engine, settings.workers if workers is None else workers)
    )
    # What the API's and the dashboard's requests read (cumulo.app_state).
    app.state.engine = engine
    app.state.settings = settings
    app.state.authenticator = Authenticator(engine.db, settings)
    install_dashboard(app)  # after the API: its error pages wrap the API's handlers
    return app


def running_workers(engine: Engine, n_workers: int) -> Lifespan[FastAPI]:
    """A lifespan that runs ``n_workers`` job workers while the application serves."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool = WorkerPool(engine, n_workers)
        pool.start()
        try:
            yield
        finally:
            pool.stop()

    return lifespan


def start_dns_responder(settings: Settings) -> DnsResponder | None:
    """The wildcard DNS of the local site's names on 127.0.0.1, when ``CUMULO_DNS_PORT`` is set.

    ``OSError`` when the port cannot be bound; the caller closes it at shutdown.
    """
    if not settings.dns_port:
        return None
    from cumulo.drivers.docker.dns import DnsResponder  # only when asked for

    return DnsResponder(settings.dns_zone, "127.0.0.1", settings.dns_port).start()

"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from cumulo import __version__
from cumulo.api.errors import JsonServerErrors, install_error_handlers
from cumulo.api.routers import (
    deployments,
    lifecycle,
    metrics,
    resources,
    root,
    scheduling,
    sites,
    stream,
    users,
)
from cumulo.auth.authenticator import Authenticator
from cumulo.config import Settings
from cumulo.engine.jobs.worker import WorkerPool
from cumulo.engine.runtime import Engine
from cumulo.web import install_dashboard


class StripTrailingSlash:
    """ASGI middleware: ``/deployments/`` is served as ``/deployments`` (no redirect)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = {**scope, "path": path.rstrip("/") or "/"}
        await self.app(scope, receive, send)


def create_app(
    settings: Settings, *, engine: Engine | None = None, workers: int | None = None
) -> FastAPI:
    """The API over ``engine`` (made from ``settings`` if not given, migrations applied).

    ``workers`` worker threads run beside the API for the app's lifetime
    (default: ``settings.workers``; 0 for an API only).
    """
    engine = engine or Engine(settings)
    n_workers = settings.workers if workers is None else workers

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool = WorkerPool(engine, n_workers)
        pool.start()
        try:
            yield
        finally:
            pool.stop()

    app = FastAPI(
        title="cumulo",
        version=__version__,
        description="INDIGO PaaS Orchestrator compatible API of cumulo.",
        lifespan=lifespan,
        redirect_slashes=False,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.authenticator = Authenticator(engine.db, settings)
    install_error_handlers(app)
    app.include_router(root.router)
    app.include_router(deployments.router)
    app.include_router(resources.router)
    app.include_router(users.router)
    app.include_router(scheduling.router)
    app.include_router(sites.router)
    app.include_router(metrics.router)
    app.include_router(lifecycle.router)
    app.include_router(stream.router)
    install_dashboard(app)
    app.add_middleware(JsonServerErrors)
    app.add_middleware(StripTrailingSlash)
    return app

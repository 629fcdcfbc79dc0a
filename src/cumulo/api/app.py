"""The REST API as a FastAPI application: routers, error handlers, OpenAPI.

Only the API: the engine, settings and authenticator it reads from
``app.state`` (``cumulo.app_state``), the workers and the dashboard beside it
are the composition root's (``cumulo.server.build_app``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.types import Lifespan

from cumulo import __version__
from cumulo.api.errors import JsonServerErrors, install_error_handlers
from cumulo.api.routers import (
    catalogue,
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


def create_api(*, lifespan: Lifespan[FastAPI] | None = None) -> FastAPI:
    """The API's routes and JSON error handlers; ``lifespan`` is the process's, if any.

    Routes added later (the dashboard's) are served through the same middleware.
    """
    app = FastAPI(
        title="cumulo",
        version=__version__,
        description="INDIGO PaaS Orchestrator compatible API of cumulo.",
        lifespan=lifespan,
        redirect_slashes=False,
    )
    install_error_handlers(app)
    for module in (
        root,
        deployments,
        resources,
        users,
        scheduling,
        sites,
        metrics,
        lifecycle,
        stream,
        catalogue,
    ):
        app.include_router(module.router)
    app.add_middleware(JsonServerErrors)
    app.add_middleware(StripTrailingSlash)
    return app

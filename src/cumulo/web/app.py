"""Mounting the dashboard on the application: routes, static files, HTML errors."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from cumulo.auth.web_session import LoginRequired
from cumulo.errors import CumuloError
from cumulo.web.render import error_page
from cumulo.web.routes import (
    account,
    admin,
    catalogue,
    changes,
    deployments,
    keys,
    live,
    login,
    notify,
    oidc_login,
    wizard,
)

UI_PREFIX = "/ui"
STATIC_DIR = Path(__file__).parent / "static"


def _is_page(request: Request) -> bool:
    return request.url.path == UI_PREFIX or request.url.path.startswith(UI_PREFIX + "/")


def _html_errors(app: FastAPI) -> None:
    """Errors under ``/ui`` are pages; elsewhere the API's JSON handlers answer as before."""
    for exc_class in (CumuloError, RequestValidationError, StarletteHTTPException):
        api_handler = app.exception_handlers[exc_class]

        async def handler(request: Request, exc: Exception, _api=api_handler) -> Response:
            if not _is_page(request):
                return await _api(request, exc)
            if isinstance(exc, LoginRequired):
                target = login.local_path(request.url.path)
                return RedirectResponse(f"{UI_PREFIX}/login?next={target}", status_code=303)
            status = getattr(exc, "http_status", None) or getattr(exc, "status_code", 400)
            message = getattr(exc, "message", None) or getattr(exc, "detail", None) or str(exc)
            return error_page(request, int(status), str(message))

        app.add_exception_handler(exc_class, handler)


def install_dashboard(app: FastAPI) -> None:
    """Mount the dashboard's pages at ``/ui`` (after the API's error handlers, which it wraps)."""
    app.mount(f"{UI_PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    # live before deployments: /deployments/live is not a deployment id.
    for module in (
        catalogue,
        wizard,
        live,
        deployments,
        changes,
        account,
        admin,
        keys,
        notify,
        login,
        oidc_login,
    ):
        app.include_router(module.router, prefix=UI_PREFIX, include_in_schema=False)

    @app.get(UI_PREFIX, include_in_schema=False)
    def ui_home() -> RedirectResponse:
        return RedirectResponse(f"{UI_PREFIX}/catalogue", status_code=303)

    _html_errors(app)

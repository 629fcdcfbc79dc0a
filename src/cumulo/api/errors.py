"""Every error rendered as INDIGO does: ``{"code", "title", "message"}``, never a bare 500 trace."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cumulo.errors import CumuloError

log = logging.getLogger(__name__)


def error_response(code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    try:
        title = HTTPStatus(code).phrase
    except ValueError:
        title = "Error"
    body = {"code": code, "title": title, "message": message}
    return JSONResponse(body, status_code=code, headers=headers)


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """Pydantic/FastAPI errors as one line each, naming the field or parameter."""
    lines = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        where = ".".join(loc)
        if loc and loc[0] in ("query", "path", "header"):
            where = f"{loc[0]} parameter '{'.'.join(loc[1:])}'"
        msg = str(err.get("msg", "invalid"))
        msg = msg.removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            lines.append(f"unknown field '{where}'")
        elif where:
            lines.append(f"{where}: {msg}")
        else:
            lines.append(msg)
    return "; ".join(lines) or "invalid request"


class JsonServerErrors:
    """ASGI middleware: an exception no handler took becomes a JSON 500, and is not raised on.

    Starlette answers an unhandled exception with its handler and then raises it again,
    and uvicorn closes a connection whose app raised: the client's keep-alive connection
    was reset after every 500. Here it is answered and kept.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            if started:  # half an answer sent: nothing better than closing is left
                raise
            log.exception("unexpected error")
            response = error_response(500, f"internal error: {type(exc).__name__}")
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CumuloError)
    async def _cumulo(_: Request, exc: CumuloError) -> JSONResponse:
        if exc.http_status >= 500:
            log.warning("request failed: %s", exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
        return error_response(exc.http_status, exc.message, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, describe_validation_errors(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        # The database went away (restarted, network): nothing was changed; retry.
        log.warning("database error: %s", exc.orig)
        return error_response(
            503, "the database is unavailable at the moment; retry shortly", {"Retry-After": "1"}
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, f"internal error: {type(exc).__name__}")

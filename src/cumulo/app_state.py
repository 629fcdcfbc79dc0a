"""What the API and the dashboard read from the running app: its engine.

The composition root (``cumulo.server.build_app``) stores the ``Engine`` in
``app.state.engine`` (beside ``settings`` and the ``authenticator``); both the
API's routers and the dashboard's routes take it through this dependency, so
neither imports the other for it.
"""

from __future__ import annotations

from fastapi import Request

from cumulo.engine.runtime import Engine


def get_engine(request: Request) -> Engine:
    return request.app.state.engine

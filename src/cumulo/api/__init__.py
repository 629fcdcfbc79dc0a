"""The REST API: INDIGO-compatible ``/deployments`` and friends (FastAPI)."""

from cumulo.api.app import create_app

__all__ = ["create_app"]

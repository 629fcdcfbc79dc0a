"""The REST API: INDIGO-compatible ``/deployments`` and friends (FastAPI).

``create_api`` builds the API alone; the whole process (engine, workers, the
dashboard beside the API) is assembled by ``cumulo.server.build_app``.
"""

from cumulo.api.app import create_api

__all__ = ["create_api"]

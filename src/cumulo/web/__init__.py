"""The dashboard: server-rendered pages (FastAPI + Jinja2) under ``/ui``.

``install_dashboard(app)`` mounts it on the API application. Pages call
``cumulo.engine.requests.deployments`` and the store's query modules, never a driver.
"""

from cumulo.web.app import UI_PREFIX, install_dashboard

__all__ = ["UI_PREFIX", "install_dashboard"]

"""Running TOSCA interface operations (Ansible playbooks) on nodes over SSH.

The engine calls ``Configurator.run`` for the software components a site's
driver does not realize natively; see ``operations.py``.
"""

from cumulo.configure.operations import (
    DEPLOY_OPERATIONS,
    TEARDOWN_OPERATIONS,
    Configurator,
    ConfigureError,
    operations_of,
)
from cumulo.configure.reach import Route, Unreachable, route_to, ssh_answers

__all__ = [
    "DEPLOY_OPERATIONS",
    "TEARDOWN_OPERATIONS",
    "Configurator",
    "ConfigureError",
    "Route",
    "Unreachable",
    "operations_of",
    "route_to",
    "ssh_answers",
]

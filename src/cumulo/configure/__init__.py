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

__all__ = [
    "DEPLOY_OPERATIONS",
    "TEARDOWN_OPERATIONS",
    "Configurator",
    "ConfigureError",
    "operations_of",
]

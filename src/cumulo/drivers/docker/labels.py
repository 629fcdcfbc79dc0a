"""The labels that tie a container to its deployment, node instance and site.

They make ``create`` idempotent (look up before making) and let
``delete_deployment`` remove exactly one deployment's containers.
"""

from __future__ import annotations

import re

from cumulo.drivers.base import NodeRequest

DEPLOYMENT = "cumulo.deployment"
NODE = "cumulo.node"
INDEX = "cumulo.index"
SITE = "cumulo.site"
KIND = "cumulo.kind"  # "vm" or "application": how readiness and attributes work
SSH_USER = "cumulo.ssh-user"  # the VM account, to rebuild attributes after a restart


def instance_labels(request: NodeRequest, site: str) -> dict[str, str]:
    return {
        DEPLOYMENT: request.deployment_id,
        NODE: request.node,
        INDEX: str(request.index),
        SITE: site,
    }


def label_filter(labels: dict[str, str]) -> dict[str, list[str]]:
    """A Docker API ``filters`` value matching every one of ``labels``."""
    return {"label": [f"{k}={v}" for k, v in labels.items()]}


def container_name(request: NodeRequest) -> str:
    """A readable, unique container name; a second create of the same instance
    collides on it, which keeps two racing workers from making two containers."""
    deployment = re.sub(r"[^a-zA-Z0-9_.-]", "-", request.deployment_id)[:64]
    node = re.sub(r"[^a-zA-Z0-9_.-]", "-", request.node)[:40]
    return f"cumulo-{deployment}-{node}-{request.index}"


def hostname(node: str) -> str:
    name = re.sub(r"[^a-z0-9-]", "-", node.lower()).strip("-")[:63]
    return name or "node"

"""How cumulo marks what it makes on a cloud: deployment id, node and index.

Nova servers and Neutron objects carry tags (filtered on by the API):
``cumulo-d-<deployment>`` on all of a deployment's objects and
``cumulo-i-<digest of deployment, node, index>`` on one node instance's.
Servers and Cinder volumes also carry readable metadata (``cumulo_deployment``,
``cumulo_node``, ``cumulo_index``, ``cumulo_site``). Names are readable and
deterministic, so an admin sees at a glance what is whose.
"""

from __future__ import annotations

import hashlib
import re

from cumulo.drivers.base import NodeRequest

DEPLOYMENT = "cumulo_deployment"
NODE = "cumulo_node"
INDEX = "cumulo_index"
SITE = "cumulo_site"
KEEP = "cumulo_keep"  # on a volume with delete_on_termination: false


def deployment_tag(deployment_id: str) -> str:
    # Nova tags are at most 60 characters without ',' or '/': a long id is hashed.
    if len(deployment_id) <= 48 and re.fullmatch(r"[A-Za-z0-9_.-]+", deployment_id):
        return f"cumulo-d-{deployment_id}"
    return "cumulo-d-" + hashlib.sha256(deployment_id.encode()).hexdigest()[:40]


def instance_tag(deployment_id: str, node: str, index: int) -> str:
    digest = hashlib.sha256(f"{deployment_id}\x00{node}\x00{index}".encode()).hexdigest()
    return f"cumulo-i-{digest[:32]}"


def request_tags(request: NodeRequest) -> list[str]:
    return [
        deployment_tag(request.deployment_id),
        instance_tag(request.deployment_id, request.node, request.index),
    ]


def metadata(request: NodeRequest, site: str) -> dict[str, str]:
    return {
        DEPLOYMENT: request.deployment_id[:255],
        NODE: request.node[:255],
        INDEX: str(request.index),
        SITE: site[:255],
    }


def object_name(request: NodeRequest, kind: str = "") -> str:
    """``cumulo-<node>-<index>-<deployment>``: readable; uniqueness is the tags' job."""
    node = re.sub(r"[^A-Za-z0-9-]", "-", request.node)[:30].strip("-") or "node"
    suffix = f"-{kind}" if kind else ""
    return f"cumulo-{node}-{request.index}{suffix}-{request.deployment_id[:36]}"


def deployment_object_name(deployment_id: str) -> str:
    return f"cumulo-{deployment_id[:60]}"

"""One network per deployment for its VM-like and application containers.

A container made without a network joins Docker's default bridge, where the
containers of every deployment would reach each other by private address.
Each deployment gets its own bridge network instead, labelled like its
containers: its nodes reach each other (``private_address``), and no one else's.
Clients still reach them only through ports published on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import docker.errors

from cumulo.drivers.docker import labels as lbl
from cumulo.drivers.shared_objects import making
from cumulo.errors import SiteError

NETWORK = "network"  # the cumulo.kind label of these networks


def network_name(deployment_id: str) -> str:
    return "cumulo-" + re.sub(r"[^a-zA-Z0-9_.-]", "-", deployment_id)[:64] + "-net"


def deployment_network(client: Any, node: str, deployment_id: str, site: str) -> str:
    """The deployment's network (made on first use, by one of the nodes that need it)."""
    name = network_name(deployment_id)
    with making(("docker-network", name)):
        return _network(client, node, name, deployment_id, site)


def _network(client: Any, node: str, name: str, deployment_id: str, site: str) -> str:
    labels = {lbl.DEPLOYMENT: deployment_id, lbl.SITE: site, lbl.KIND: NETWORK}
    try:
        network = client.networks.get(name)
    except docker.errors.NotFound:
        try:
            network = client.networks.create(name, driver="bridge", labels=labels,
                                             check_duplicate=True)  # fmt: skip
        except docker.errors.APIError as exc:
            if "address pool" in str(exc):
                raise SiteError(
                    f"node {node}: site {site} has no network address left for a new "
                    "deployment (Docker's default-address-pools: see cumulo doctor)"
                ) from None
            if exc.status_code != 409:  # another process made it (a takeover)
                raise
            network = client.networks.get(name)
    if (network.attrs.get("Labels") or {}).get(lbl.DEPLOYMENT) != deployment_id:
        raise SiteError(
            f"node {node}: a network named {name} exists on site {site} "
            "and belongs to something else"
        )
    return name


def remove_deployment_networks(client: Any, deployment_id: str, site: str) -> None:
    """The deployment's network, once its containers are gone; gone already is success."""
    mine = {lbl.DEPLOYMENT: deployment_id, lbl.SITE: site, lbl.KIND: NETWORK}
    for network in client.networks.list(filters=lbl.label_filter(mine)):
        with contextlib.suppress(docker.errors.NotFound):
            network.remove()

"""Full virtual machines: which nodes need one, and which sites give them.

A site's machines are either full virtual machines, with a kernel of their own
(an OpenStack server), or VM-like containers sharing the host's kernel (the
local Docker site). Most software runs on both. Cluster software does not: a
Kubernetes kubelet or a Mesos agent starts containers of its own, loads kernel
modules and manages cgroups, which a container cannot do for its host.

A site says what it gives with ``capabilities.full_vm`` (absent: the default of
its kind, true for ``openstack`` only). A template asks for full VMs by hosting
a component that needs one on a Compute node: a component whose property
``needs_full_vm`` is true, or of one of INDIGO's cluster types (their Ansible
roles install kubelet, a Mesos agent, Docker). A site that cannot give them is
left out before anything is tried, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cumulo.federation.model import Needs, SiteView

NEEDS_FULL_VM = "needs_full_vm"  # the property a component sets to ask
# Site kinds whose machines are full VMs unless the site says otherwise.
FULL_VM_KINDS = frozenset({"openstack"})
# INDIGO's types (indigo-dc/tosca-types) whose roles need a machine's own kernel; a node of a
# derived type (MesosMaster, MesosSlave) carries these among its ancestors.
FULL_VM_TYPES = frozenset(
    {
        "tosca.nodes.indigo.LRMS.FrontEnd.Kubernetes",
        "tosca.nodes.indigo.LRMS.WorkerNode.Kubernetes",
        "tosca.nodes.indigo.LRMS.FrontEnd.Mesos",
        "tosca.nodes.indigo.LRMS.WorkerNode.Mesos",
        "tosca.nodes.indigo.MesosLoadBalancer",
    }
)


def gives_full_vms(kind: str, declared: Any) -> bool:
    """Whether a site of ``kind`` gives full VMs: its ``capabilities.full_vm`` when set."""
    if declared is None:
        return kind in FULL_VM_KINDS
    return bool(declared)


def full_vm_nodes(instances: Iterable[Any]) -> tuple[str, ...]:
    """The nodes of a plan's instances that need a full VM, each once, in plan order."""
    found: dict[str, None] = {}
    for inst in instances:
        if _asks(inst):
            found.setdefault(inst.node, None)
    return tuple(found)


def _asks(inst: Any) -> bool:
    declared = (inst.properties or {}).get(NEEDS_FULL_VM)
    if declared is not None:
        return declared is True
    return any(t in FULL_VM_TYPES for t in inst.types)


def no_full_vm(site: SiteView, needs: Needs) -> str | None:
    """Why ``site`` cannot take ``needs`` for want of full VMs, or None."""
    if not needs.full_vm or site.full_vm:
        return None
    return (
        f"node {needs.full_vm[0]} needs a full virtual machine with its own kernel (cluster "
        f"software such as Kubernetes or Mesos runs containers of its own); the machines of "
        f"site {site.name} are containers sharing its host's kernel (capabilities.full_vm: false)"
    )

"""Full virtual machines (issue 17): cluster software needs a machine with its own kernel; a
site whose machines are containers sharing the host's kernel is left out with the reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cumulo.federation import (
    ComputeNeed,
    Federation,
    Needs,
    Placement,
    SiteView,
    never_fits,
    schedule,
)
from cumulo.federation.machines import full_vm_nodes, gives_full_vms, no_full_vm

TODAY = date(2026, 6, 1)
LOCAL = SiteView("local", kind="docker", public=True)
CLOUD = SiteView("cloud", kind="openstack", public=True, full_vm=True)
VM = ComputeNeed("lrms_server", needs_image=False)
CLUSTER = Needs(computes=(VM,), full_vm=("lrms_front_end",))


@dataclass
class Inst:  # the fields of a plan's NodeInstance the filter reads
    node: str
    types: tuple[str, ...]
    properties: dict[str, Any] = field(default_factory=dict)


def test_a_site_kind_gives_full_vms_by_default_only_on_clouds_and_says_otherwise() -> None:
    assert gives_full_vms("openstack", None) is True
    assert gives_full_vms("docker", None) is False
    assert gives_full_vms("sim", None) is False
    assert gives_full_vms("openstack", False) is False  # an admin's word wins
    assert gives_full_vms("sim", True) is True


def test_nodes_ask_by_property_or_by_indigos_cluster_types() -> None:
    soft = "tosca.nodes.SoftwareComponent"
    instances = [
        Inst("server", ("tosca.nodes.indigo.Compute", "tosca.nodes.Compute")),
        Inst("front", ("cumulo.nodes.KubernetesFrontEnd", soft), {"needs_full_vm": True}),
        Inst("wn", ("cumulo.nodes.KubernetesWorker", soft), {"needs_full_vm": True}),
        Inst("wn", ("cumulo.nodes.KubernetesWorker", soft), {"needs_full_vm": True}),  # index 1
        Inst("web", (soft,), {"needs_full_vm": False}),
        Inst(
            "master", ("tosca.nodes.indigo.MesosMaster", "tosca.nodes.indigo.LRMS.FrontEnd.Mesos")
        ),
        # A template may say no even on INDIGO's types (its own judgement).
        Inst("lb", ("tosca.nodes.indigo.MesosLoadBalancer", soft), {"needs_full_vm": False}),
    ]
    assert full_vm_nodes(instances) == ("front", "wn", "master")


def test_the_local_site_is_left_out_with_a_reason_a_user_understands() -> None:
    decision = schedule(Federation((LOCAL, CLOUD)), CLUSTER, None, TODAY)
    assert decision.ranked == ["cloud"]
    reason = decision.verdict("local").reason  # type: ignore[union-attr]
    assert reason.startswith("node lrms_front_end needs a full virtual machine")
    assert "site local are containers sharing its host's kernel" in reason
    # Without the need, the same site takes the same machines.
    assert schedule(Federation((LOCAL,)), Needs(computes=(VM,)), None, TODAY).ranked == ["local"]


def test_no_site_giving_full_vms_is_known_at_request_time() -> None:
    problem = never_fits(Federation((LOCAL,)), CLUSTER, None, TODAY, Placement())
    assert problem == no_full_vm(LOCAL, CLUSTER)
    assert never_fits(Federation((LOCAL, CLOUD)), CLUSTER, None, TODAY, Placement()) is None


def test_the_full_vm_reason_comes_before_the_sites_other_shortcomings() -> None:
    # The local site also lacks the node's OS image; the reason that matters is the kernel.
    ubuntu = ComputeNeed("lrms_server", needs_image=True, distribution="ubuntu", version="22.04")
    needs = Needs(computes=(ubuntu,), full_vm=("lrms_front_end",))
    local = SiteView("local", public=True, images={"debian": {"12": "cumulo/vm-debian:12"}})
    decision = schedule(Federation((local,)), needs, None, TODAY)
    assert decision.problem is not None and "needs a full virtual machine" in decision.problem

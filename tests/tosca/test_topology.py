"""Topology: count expansion, dependency order, cycles, hosting chains (item 6)."""

from __future__ import annotations

import pytest
from tosca_helpers import V13, check, only, plan

from cumulo.errors import ToscaError

STACK = (
    V13
    + """
topology_template:
  inputs:
    workers: {type: integer, default: 3}
  node_templates:
    app:
      type: tosca.nodes.WebApplication
      requirements:
        - host: web
    web:
      type: tosca.nodes.WebServer
      requirements:
        - host: front
    front:
      type: tosca.nodes.Compute
    worker:
      type: tosca.nodes.Compute
      capabilities:
        scalable:
          properties: {default_instances: { get_input: workers }}
    net: {type: tosca.nodes.network.Network}
    port:
      type: tosca.nodes.network.Port
      requirements:
        - link: net
        - binding: front
"""
)


def test_count_expansion_from_an_input() -> None:
    p = plan(STACK, {"workers": "4"})
    workers = p.instances_of("worker")
    assert [w.index for w in workers] == [0, 1, 2, 3]
    assert all(w.count == 4 for w in workers)
    assert len(plan(STACK).instances_of("worker")) == 3


def test_zero_instances_and_bad_counts() -> None:
    assert plan(STACK, {"workers": 0}).instances_of("worker") == []
    with pytest.raises(ToscaError) as info:
        plan(STACK, {"workers": -1})
    assert any(i.code == "bad-count" for i in info.value.issues)


def test_dependency_order_puts_targets_first() -> None:
    p = plan(STACK)
    order = p.order
    assert order.index("front") < order.index("web") < order.index("app")
    assert order.index("net") < order.index("port") and order.index("front") < order.index("port")
    names = [i.node for i in p.instances]
    assert names.index("front") < names.index("web") < names.index("app")


def test_hosting_chain() -> None:
    p = plan(STACK)
    hosts = {i.node: i.host for i in p.instances if i.index == 0}
    assert hosts["app"] == "web" and hosts["web"] == "front" and hosts["front"] is None
    assert hosts["port"] is None  # BindsTo is not hosting


def test_dependency_cycle_is_reported() -> None:
    text = (
        V13
        + """
node_types:
  my.Peer:
    derived_from: tosca.nodes.Root
    requirements:
      - peer: {capability: tosca.capabilities.Node, occurrences: [0, 1]}
topology_template:
  node_templates:
    a: {type: my.Peer, requirements: [{peer: b}]}
    b: {type: my.Peer, requirements: [{peer: c}]}
    c: {type: my.Peer, requirements: [{peer: a}]}
"""
    )
    issue = only(check(text).errors, "dependency-cycle")
    assert "a -> b -> c -> a" in issue.message
    assert issue.location.line > 0


def test_node_instances_carry_types_and_is_a() -> None:
    web = plan(STACK).instances_of("web")[0]
    assert web.types == (
        "tosca.nodes.WebServer",
        "tosca.nodes.SoftwareComponent",
        "tosca.nodes.Root",
    )
    assert web.is_a("tosca.nodes.SoftwareComponent") and not web.is_a("tosca.nodes.Compute")
    assert web.requirements[0].node == "front"


def test_plan_hosting_chain() -> None:
    p = plan(STACK)
    assert p.hosting_chain("app") == ["app", "web", "front"]
    assert p.hosting_chain("worker") == ["worker"]


def test_plans_never_share_the_cached_documents() -> None:
    from cumulo.tosca import Processor

    text = (
        V13
        + """
node_types:
  my.N:
    derived_from: tosca.nodes.Root
    properties:
      users: {type: list, entry_schema: {type: string}, default: [root]}
topology_template:
  node_templates:
    n: {type: my.N}
"""
    )
    proc = Processor()
    tpl = proc.load_text(text)
    first = proc.plan(tpl).instances[0].properties["users"]
    first.append("mallory")
    assert type(first) is list
    assert proc.plan(tpl).instances[0].properties["users"] == ["root"]


def test_values_reached_through_functions_are_copies_too() -> None:
    from cumulo.tosca import Processor

    text = (
        V13
        + """
topology_template:
  inputs:
    tags: {type: list, entry_schema: {type: string}, default: [a]}
  node_templates:
    vm: {type: tosca.nodes.Compute}
  outputs:
    tags: {value: {get_input: tags}}
"""
    )
    proc = Processor()
    tpl = proc.load_text(text)
    out = proc.plan(tpl).evaluate_outputs(lambda n, i: {})
    out["tags"].append("b")
    assert proc.plan(tpl).evaluate_outputs(lambda n, i: {})["tags"] == ["a"]

"""Templates the reference parser (tosca-parser) rightly rejects are rejected here too,
each error at the line that is wrong."""

from __future__ import annotations

from tests.tosca.tosca_helpers import V13, check, codes

V10 = "tosca_definitions_version: tosca_simple_yaml_1_0\n"


def error_lines(text: str) -> list[tuple[str, int]]:
    return sorted((i.code, i.location.line) for i in check(text, {}).errors)


def test_function_arity() -> None:
    text = """
topology_template:
  inputs:
    a: {type: string, default: x}
  node_templates:
    vm:
      type: tosca.nodes.Compute
      capabilities:
        os:
          properties:
            distribution: {get_input: [a, b]}
  outputs:
    o: {value: {concat: []}}
"""
    assert error_lines(V10 + text) == [("bad-function", 12), ("bad-function", 14)]
    # TOSCA 1.3 added nested access: [input, key or index, ...]
    assert error_lines(V13 + text) == [("bad-function", 14)]


def test_get_attribute_of_an_undeclared_attribute() -> None:
    text = (
        V13
        + """
topology_template:
  node_templates:
    server: {type: tosca.nodes.Compute}
    db:
      type: tosca.nodes.DBMS
      requirements: [{host: server}]
  outputs:
    host_ip: {value: {get_attribute: [db, private_address]}}  # from its host, as IM reads it
    nope: {value: {get_attribute: [server, no_such_attribute]}}
"""
    )
    assert error_lines(text) == [("unknown-attribute", 11)]


def test_get_attribute_of_host_needs_a_hosted_on_chain() -> None:
    text = (
        V13
        + """
topology_template:
  node_templates:
    vm:
      type: tosca.nodes.Compute
      interfaces:
        Standard:
          configure:
            inputs: {ip: {get_attribute: [HOST, private_address]}}
    app:
      type: tosca.nodes.SoftwareComponent
      requirements: [{host: vm}]
      interfaces:
        Standard:
          configure:
            inputs: {ip: {get_attribute: [HOST, private_address]}}
  outputs:
    o: {value: {get_attribute: [HOST, private_address]}}
"""
    )
    assert error_lines(text) == [("bad-function", 10), ("bad-function", 19)]


OCCURRENCES = (
    V13
    + """
node_types:
  my.Cluster:
    derived_from: tosca.nodes.Root
    requirements:
      - member:
          capability: tosca.capabilities.Node
          occurrences: [2, 3]
topology_template:
  node_templates:
    a: {type: tosca.nodes.Compute}
    c:
      type: my.Cluster
      requirements: MEMBERS
"""
)


def test_requirement_occurrences_out_of_bounds() -> None:
    def verdict(n: int) -> set[str]:
        members = "[" + ", ".join(["{member: a}"] * n) + "]"
        return codes(check(OCCURRENCES.replace("MEMBERS", members)).errors)

    assert verdict(1) == {"requirement-occurrences"}  # below the minimum
    assert verdict(2) == verdict(3) == set()
    assert verdict(4) == {"requirement-occurrences"}  # above the maximum
    # none at all: the orchestrator finds targets (a warning, as before)
    report = check(OCCURRENCES.replace("MEMBERS", "[]"))
    assert not report.errors and "requirement-unassigned" in codes(report.warnings)


def test_malformed_substitution_mappings() -> None:
    text = (
        V13
        + """
topology_template:
  substitution_mappings:
    node_type: tosca.nodes.Compute
    node_filter: {properties: []}
    substitution_filter:
      properties: {num_cpus: {equal: 1}}
    capabilities:
      host: vm
  node_templates:
    vm: {type: tosca.nodes.Compute}
  outputs:
    private_address: {value: {get_attribute: [vm, private_address]}}
    no_such_attribute: {value: 1}
"""
    )
    assert error_lines(text) == [
        ("bad-mapping", 10),
        ("bad-section", 8),
        ("unknown-attribute", 15),
        ("unknown-field", 6),
    ]


def test_well_formed_substitution_mappings_pass() -> None:
    text = (
        V13
        + """
topology_template:
  substitution_mappings:
    node_type: tosca.nodes.Compute
    substitution_filter:
      properties: [{num_cpus: {equal: 1}}]
    capabilities:
      host: [vm, host]
  node_templates:
    vm: {type: tosca.nodes.Compute}
  outputs:
    private_address: {value: {get_attribute: [vm, private_address]}}
"""
    )
    assert error_lines(text) == []

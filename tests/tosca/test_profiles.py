"""Profiles a version asks for: the NFV profile, the NFV data types of TOSCA 1.2+,
and the normative short names of the network types (``PortDef``)."""

from __future__ import annotations

from tosca_helpers import V13, check

NFV = """\
tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0
topology_template:
  node_templates:
    VDU1:
      type: tosca.nodes.nfv.VDU
      capabilities:
        host: {properties: {num_cpus: 1, mem_size: 512 MB, disk_size: 1 GB}}
        os: {properties: {type: linux, distribution: ubuntu, version: "20.04"}}
    CP1:
      type: tosca.nodes.nfv.CP
      properties: {type: vPort}
      requirements:
        - virtualLink: VL1
        - virtualBinding: VDU1
    VL1:
      type: tosca.nodes.nfv.VL
      properties: {network_name: net0, vendor: ACME}
"""


def test_the_nfv_profile_loads_for_its_version() -> None:
    report = check(NFV)
    assert report.ok, [str(i) for i in report]


def test_nfv_types_are_not_in_plain_templates() -> None:
    text = V13 + "topology_template:\n  node_templates:\n    v: {type: tosca.nodes.nfv.VDU}\n"
    assert not check(text).ok


def test_a_required_nfv_property_is_checked() -> None:
    report = check(NFV.replace("vendor: ACME", "network_type: vlan"))
    assert any("vendor" in str(i) for i in report.errors), [str(i) for i in report]


def _cpu(version: str, cpus: object) -> str:
    return f"""\
tosca_definitions_version: {version}
node_types:
  my.nodes.Vnfc:
    derived_from: tosca.nodes.Root
    properties:
      cpu: {{type: tosca.datatypes.nfv.VirtualCpu}}
topology_template:
  node_templates:
    c:
      type: my.nodes.Vnfc
      properties: {{cpu: {{num_virtual_cpu: {cpus}}}}}
"""


def test_tosca_1_2_templates_have_the_nfv_data_types() -> None:
    assert check(_cpu("tosca_simple_yaml_1_2", 2)).ok
    errors = check(_cpu("tosca_simple_yaml_1_2", 0)).errors  # greater_than: 0
    assert any("num_virtual_cpu" in str(i) for i in errors), [str(i) for i in errors]


def test_tosca_1_1_templates_do_not() -> None:
    assert not check(_cpu("tosca_simple_yaml_1_1", 2)).ok


def test_network_data_types_by_their_short_names() -> None:
    text = V13 + "topology_template:\n  inputs:\n    port: {type: PortDef, default: PORT}\n"
    assert check(text.replace("PORT", "8080")).ok
    errors = check(text.replace("PORT", "70000")).errors  # PortDef: in_range [1, 65535]
    assert errors, "70000 is no port"
    assert check(text.replace("PortDef", "tosca:PortSpec").replace("PORT", "{protocol: tcp}")).ok

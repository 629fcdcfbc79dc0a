"""Validation of node templates, requirements, relationships, interfaces,
policies, groups, substitution mappings and outputs (issue 2, items 3 and 7)."""

from __future__ import annotations

from tosca_helpers import DATA, V13, check, codes, only

from cumulo.tosca import Processor

TT = V13 + "topology_template:\n  node_templates:\n"


def test_valid_fixture_has_no_issue() -> None:
    proc = Processor()
    report = proc.check(proc.load_file(DATA / "valid_webapp.yaml"))
    assert report.ok and not report.warnings, report


def test_invalid_fixture_reports_every_problem_located() -> None:
    proc = Processor()
    report = proc.check(proc.load_file(DATA / "invalid_webapp.yaml"))
    found = {(i.code, i.location.line, i.location.column) for i in report.errors}
    assert ("unknown-type", 5, 13) in found  # integr
    assert ("unknown-type", 8, 13) in found  # tosca.nodes.Compte
    assert ("unknown-property", 12, 9) in found  # component_verison
    assert ("type-mismatch", 16, 23) in found  # num_cpus: many
    assert ("unknown-node", 18, 17) in found  # servr
    assert ("missing-field", 20, 5) in found  # output without value
    hints = {i.code: i.hint for i in report.errors if i.hint}
    assert hints["unknown-property"] == "did you mean 'component_version'?"
    assert hints["unknown-node"] == "did you mean 'server'?"
    assert all(i.location.file.endswith("invalid_webapp.yaml") for i in report.errors)


def test_issue_paths_name_the_place() -> None:
    report = check(
        TT + "    s:\n      type: tosca.nodes.Compute\n      capabilities:\n"
        "        host:\n          properties:\n            mem_size: 4 parsecs\n"
    )
    issue = report.errors[0]
    assert issue.path == "topology_template.node_templates.s.capabilities.host.properties.mem_size"
    assert (issue.location.line, issue.location.column) == (9, 23)


def test_required_property_missing_and_unknown_field() -> None:
    report = check(TT + "    o:\n      type: tosca.nodes.ObjectStorage\n      propertys: {}\n")
    assert codes(report.errors) == {"missing-property", "unknown-field"}
    assert only(report.errors, "unknown-field").hint == "did you mean 'properties'?"


def test_constraints_are_checked_on_properties() -> None:
    report = check(
        TT + "    n:\n      type: tosca.nodes.network.Network\n      properties: {ip_version: 5}\n"
    )
    assert only(report.errors, "constraint-violated").location.line == 6


def test_unknown_capability_and_capability_property() -> None:
    report = check(
        TT + "    s:\n      type: tosca.nodes.Compute\n      capabilities:\n"
        "        hots: {}\n        os:\n          properties: {distro: x}\n"
    )
    assert only(report.errors, "unknown-capability").hint == "did you mean 'host'?"
    assert only(report.errors, "unknown-property").hint == "did you mean 'distribution'?"


def test_requirement_occurrences_and_unknown_requirement() -> None:
    text = (
        TT
        + """    a: {type: tosca.nodes.Compute}
    b: {type: tosca.nodes.Compute}
    sw:
      type: tosca.nodes.SoftwareComponent
      requirements:
        - host: a
        - host: b
        - hots: a
"""
    )
    report = check(text)
    assert "requirement-occurrences" in codes(report.errors)
    assert only(report.errors, "unknown-requirement").hint == "did you mean 'host'?"


def test_requirement_target_must_offer_the_capability() -> None:
    text = (
        TT
        + """    vol: {type: tosca.nodes.BlockStorage, properties: {size: 1 GB}}
    sw:
      type: tosca.nodes.SoftwareComponent
      requirements:
        - host: vol
"""
    )
    report = check(text)
    assert "requirement-no-capability" in codes(report.errors)


def test_relationships_hosted_on_connects_to_attaches_to_and_custom() -> None:
    text = (
        V13
        + """
relationship_types:
  my.Uses:
    derived_from: tosca.relationships.DependsOn
node_types:
  my.Client:
    derived_from: tosca.nodes.SoftwareComponent
    requirements:
      - db:
          capability: tosca.capabilities.Endpoint.Database
          relationship: tosca.relationships.ConnectsTo
      - uses: {capability: tosca.capabilities.Node, relationship: my.Uses, occurrences: [0, 1]}
topology_template:
  node_templates:
    vm:
      type: tosca.nodes.Compute
      requirements:
        - local_storage: {node: vol, relationship: {type: AttachesTo, properties: {location: /d}}}
    vol: {type: tosca.nodes.BlockStorage, properties: {size: 1 GB}}
    dbms: {type: tosca.nodes.DBMS, requirements: [{host: vm}]}
    db: {type: tosca.nodes.Database, requirements: [{host: dbms}]}
    client:
      type: my.Client
      requirements:
        - host: vm
        - db: db
        - uses: {node: dbms, relationship: my.Uses}
"""
    )
    proc = Processor()
    plan = proc.plan(proc.load_text(text))
    client = plan.instances_of("client")[0]
    rels = {r.name: (r.node, r.capability, r.relationship) for r in client.requirements}
    assert rels == {
        "host": ("vm", "host", "tosca.relationships.HostedOn"),
        "db": ("db", "database_endpoint", "tosca.relationships.ConnectsTo"),
        "uses": ("dbms", "feature", "my.Uses"),
    }
    vm = plan.instances_of("vm")[0]
    assert vm.requirements[0].properties == {"location": "/d"}
    assert vm.requirements[0].relationship == "tosca.relationships.AttachesTo"


def test_relationship_must_derive_from_the_definition() -> None:
    text = (
        TT
        + """    vm: {type: tosca.nodes.Compute}
    sw:
      type: tosca.nodes.SoftwareComponent
      requirements:
        - host: {node: vm, relationship: tosca.relationships.ConnectsTo}
"""
    )
    assert "relationship-mismatch" in codes(check(text).errors)


def test_attaches_to_needs_its_location() -> None:
    text = (
        TT
        + """    vm:
      type: tosca.nodes.Compute
      requirements:
        - local_storage: {node: vol, relationship: {type: tosca.relationships.AttachesTo}}
    vol: {type: tosca.nodes.BlockStorage, properties: {size: 1 GB}}
"""
    )
    issue = only(check(text).errors, "missing-property")
    assert "location" in issue.message


def test_interfaces_operations_and_artifacts() -> None:
    text = (
        TT
        + """    vm:
      type: tosca.nodes.Compute
      interfaces:
        Standard:
          configure:
            implementation: setup.yml
            inputs: {user: me}
          confgure: x.yml
        Missing: {}
      artifacts:
        image: {type: tosca.artifacts.Deployment.Image.VM, file: img.qcow2}
        bad: {type: tosca.artifacts.Nope, file: x}
        script: run.sh
"""
    )
    report = check(text)
    assert only(report.errors, "unknown-operation").hint == "did you mean 'configure'?"
    assert "unknown-interface" in codes(report.errors)
    assert only(report.errors, "unknown-type").path.endswith("artifacts.bad.type")


def test_policies_groups_and_targets() -> None:
    text = (
        V13
        + """
topology_template:
  node_templates:
    vm: {type: tosca.nodes.Compute}
  groups:
    g: {type: tosca.groups.Root, members: [vm, ghost]}
  policies:
    - place: {type: tosca.policies.Placement, targets: [vm, g]}
    - nope: {type: tosca.policies.Placment, targets: [vm]}
    - wrong: {type: tosca.policies.Placement, targets: [vn]}
"""
    )
    report = check(text)
    unknown_nodes = [i for i in report.errors if i.code == "unknown-node"]
    assert {i.path.split(".")[-2] if "members" in i.path else i.path for i in unknown_nodes}
    assert len(unknown_nodes) == 2
    assert only(report.errors, "unknown-type").hint == "did you mean 'tosca.policies.Placement'?"


def test_indigo_sla_placement_policy_with_the_indigo_types() -> None:
    from corpus import TYPES_DIR, available

    if not available():
        import pytest

        pytest.skip("INDIGO corpus not on this machine")
    text = """tosca_definitions_version: tosca_simple_yaml_1_0
imports:
  - indigo: https://example.org/indigo/custom_types.yaml
topology_template:
  node_templates:
    vm: {type: tosca.nodes.indigo.Compute}
  policies:
    - deploy_on_site:
        type: tosca.policies.indigo.SlaPlacement
        properties: {sla_id: 4401ac5dc8cfbbb737b0a02575ee53f6}
        targets: [vm]
    - incomplete:
        type: tosca.policies.indigo.SlaPlacement
        targets: [vm]
"""
    proc = Processor(import_map={"https://example.org/indigo/": TYPES_DIR})
    report = proc.check(proc.load_text(text))
    assert codes(report.errors) == {"missing-property"}
    assert "sla_id" in report.errors[0].message


def test_substitution_mappings_are_checked() -> None:
    text = (
        V13
        + """
topology_template:
  substitution_mappings:
    node_type: tosca.nodes.WebServer
    capabilities:
      data_endpoint: [web, data_endpoint]
      admin_endpoint: [web, admn_endpoint]
    requirements:
      host: [web, host]
      nothing: [ghost, host]
  node_templates:
    vm: {type: tosca.nodes.Compute}
    web: {type: tosca.nodes.WebServer, requirements: [{host: vm}]}
"""
    )
    report = check(text)
    assert len([i for i in report.errors if i.code == "unknown-mapping"]) == 2
    assert "unknown-node" in codes(report.errors)


def test_function_references_are_checked_where_written() -> None:
    text = (
        V13
        + """
topology_template:
  inputs:
    size: {type: integer, default: 1}
  node_templates:
    vm:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties:
            num_cpus: { get_input: sise }
  outputs:
    a: { value: { get_attribute: [vn, public_address] } }
    b: { value: { get_property: [vm, nope] } }
    c: { value: { get_attribute: [vm, public_adress] } }
"""
    )
    report = check(text)
    assert only(report.errors, "unknown-input").hint == "did you mean 'size'?"
    assert only(report.errors, "unknown-node").hint == "did you mean 'vm'?"
    assert "unknown-property" in codes(report.errors)
    assert only(report.errors, "unknown-attribute").hint == "did you mean 'public_address'?"


def test_warnings_are_kept_apart_from_errors() -> None:
    text = (
        TT + "    vm:\n      type: tosca.nodes.Compute\n      capabilities:\n"
        "        host: {properties: {mem_size: 4 GIB}}\n"
    )
    report = check(text)
    assert report.ok
    assert report.warnings and all(not w.is_error for w in report.warnings)


def test_node_filter_is_checked_against_the_target() -> None:
    text = (
        V13
        + """
topology_template:
  node_templates:
    small:
      type: tosca.nodes.Compute
      capabilities:
        host: {properties: {num_cpus: 1}}
    app:
      type: tosca.nodes.SoftwareComponent
      requirements:
        - host:
            node: small
            node_filter:
              capabilities:
                - host:
                    properties:
                      - num_cpus: {in_range: [2, 8]}
                      - mem_sise: {greater_or_equal: 1 GB}
"""
    )
    report = check(text)
    assert only(report.errors, "node-filter-unsatisfied").location.line == 18
    assert only(report.errors, "unknown-property").hint == "did you mean 'mem_size'?"


def test_copy_of_a_node_template() -> None:
    text = (
        TT
        + """    a:
      type: tosca.nodes.Compute
      capabilities: {host: {properties: {num_cpus: 2}}}
    b:
      copy: a
      capabilities: {host: {properties: {num_cpus: 4}}}
    c: {copy: nowhere}
"""
    )
    report = check(text)
    assert only(report.errors, "bad-copy").location.line == 10
    proc = Processor()
    text_ok = text.replace("    c: {copy: nowhere}\n", "")
    plan = proc.plan(proc.load_text(text_ok))
    assert plan.instances_of("b")[0].type == "tosca.nodes.Compute"
    assert plan.instances_of("b")[0].capabilities["host"]["num_cpus"] == 4


def test_deprecated_normative_types_warn_in_1_2_and_later() -> None:
    text = "node_templates:\n    v: {type: tosca.nodes.BlockStorage, properties: {size: 1 GB}}\n"
    report = check(V13 + "topology_template:\n  " + text)
    assert only(report.warnings, "deprecated").hint == "use tosca.nodes.Storage.BlockStorage"
    old = check("tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template:\n  " + text)
    assert "deprecated" not in codes(old.warnings)


def test_capability_named_on_the_target_must_fit_the_requirement() -> None:
    text = (
        TT
        + """    vm: {type: tosca.nodes.Compute}
    sw:
      type: tosca.nodes.SoftwareComponent
      requirements:
        - host: {node: vm, capability: os}
"""
    )
    issue = only(check(text).errors, "requirement-no-capability")
    assert "tosca.capabilities.OperatingSystem" in issue.message

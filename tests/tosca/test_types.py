"""Types: inheritance with refinement, unknown types, cycles, broken refinements."""

from __future__ import annotations

from tosca_helpers import V13, check, codes, only, plan

from cumulo.tosca import Processor

V10 = "tosca_definitions_version: tosca_simple_yaml_1_0\n"


def test_normative_types_are_bundled_with_their_definitions() -> None:
    proc = Processor()
    reg = proc.load_text(V13).registry
    compute = reg.get("node_types", "tosca.nodes.Compute")
    assert compute.lineage == ("tosca.nodes.Compute", "tosca.nodes.Root")
    assert set(compute.capabilities) >= {"host", "os", "scalable", "endpoint", "binding", "feature"}
    assert [r.name for r in compute.requirements] == ["dependency", "local_storage"]
    for kind, name in [
        ("relationship_types", "tosca.relationships.AttachesTo"),
        ("capability_types", "tosca.capabilities.Endpoint.Admin"),
        ("data_types", "tosca.datatypes.network.PortSpec"),
        ("artifact_types", "tosca.artifacts.Deployment.Image.VM"),
        ("interface_types", "tosca.interfaces.node.lifecycle.Standard"),
        ("policy_types", "tosca.policies.Placement"),
        ("group_types", "tosca.groups.Root"),
    ]:
        assert reg.get(kind, name) is not None, name
    assert reg.canonical("node_types", "tosca:Compute") == "tosca.nodes.Compute"
    assert reg.canonical("node_types", "Compute") == "tosca.nodes.Compute"


def test_normative_library_is_cached_per_processor() -> None:
    proc = Processor()
    assert proc.load_text(V13).registry is proc.load_text(V13).registry


def test_inheritance_and_refinement() -> None:
    text = (
        V13
        + """
node_types:
  my.Base:
    derived_from: tosca.nodes.SoftwareComponent
    properties:
      size: {type: integer, default: 1, constraints: [{greater_or_equal: 1}]}
    requirements:
      - host:
          capability: tosca.capabilities.Container
          node: tosca.nodes.Compute
          occurrences: [1, 1]
  my.Child:
    derived_from: my.Base
    properties:
      size: {default: 3}
      extra: {type: string, required: false}
    requirements:
      - host: {capability: tosca.capabilities.Container.Docker}
topology_template:
  node_templates:
    c: {type: my.Child}
"""
    )
    proc = Processor()
    tpl = proc.load_text(text)
    child = tpl.registry.get("node_types", "my.Child")
    assert child.properties["size"].schema.type == "integer"
    assert child.properties["size"].schema.default == 3
    assert child.properties["size"].schema.constraints[0].operator == "greater_or_equal"
    host = child.requirement("host")
    assert host.capability == "tosca.capabilities.Container.Docker"
    assert host.node == "tosca.nodes.Compute"  # inherited from the parent's definition
    assert "requirement-unassigned" in codes(proc.check(tpl).warnings)


def test_unknown_parent_and_unknown_types_have_hints() -> None:
    report = check(V13 + "node_types:\n  my.T:\n    derived_from: tosca.nodes.Compte\n")
    issue = only(report.errors, "unknown-type")
    assert issue.location.line == 4 and issue.hint == "did you mean 'tosca.nodes.Compute'?"
    report = check(
        V13 + "topology_template:\n  node_templates:\n    n: {type: tosca.nodes.Compte}\n"
    )
    assert only(report.errors, "unknown-type").hint == "did you mean 'tosca.nodes.Compute'?"


def test_derivation_cycle_is_reported_once_per_type() -> None:
    report = check(
        V13
        + "node_types:\n  a.A: {derived_from: a.B}\n  a.B: {derived_from: a.C}\n"
        + "  a.C: {derived_from: a.A}\n"
    )
    cycles = [i for i in report.errors if i.code == "derivation-cycle"]
    assert cycles and all("->" in i.message for i in cycles)


def test_refinement_that_breaks_the_parent_is_an_error_in_1_3() -> None:
    body = """
node_types:
  my.T:
    derived_from: tosca.nodes.BlockStorage
    properties:
      size: {type: boolean}
    capabilities:
      attachment: {type: tosca.capabilities.Endpoint}
"""
    errors = check(V13 + body).errors
    assert {i.code for i in errors} == {"refinement-breaks-parent"}
    assert len(errors) == 2
    # before 1.3 a redefinition replaced the parent's: only a warning
    report = check(V10 + body)
    assert report.ok and len(report.warnings) == 2


def test_data_types_derived_from_primitives_and_complex() -> None:
    text = (
        V13
        + """
data_types:
  my.Port:
    derived_from: integer
    constraints: [{in_range: [1, 1024]}]
  my.User:
    derived_from: tosca.datatypes.Root
    properties:
      name: {type: string}
      port: {type: my.Port, required: false}
node_types:
  my.N:
    derived_from: tosca.nodes.Root
    properties:
      users: {type: list, entry_schema: {type: my.User}}
topology_template:
  node_templates:
    ok:
      type: my.N
      properties:
        users: [{name: a, port: 22}]
    bad:
      type: my.N
      properties:
        users: [{name: b, port: 70000}, {nmae: c}]
"""
    )
    report = check(text)
    paths = {i.path for i in report.errors}
    assert any(
        p.startswith("topology_template.node_templates.bad.properties.users[0]") for p in paths
    )
    assert any(
        p.startswith("topology_template.node_templates.bad.properties.users[1]") for p in paths
    )
    assert not any("node_templates.ok" in p for p in paths)


def test_unknown_data_type_in_a_property_definition() -> None:
    report = check(
        V13 + "node_types:\n  my.N:\n    derived_from: tosca.nodes.Root\n"
        "    properties:\n      p: {type: strng}\n"
    )
    issue = only(report.errors, "unknown-type")
    assert issue.hint == "did you mean 'string'?"
    assert issue.location.line == 6


def test_interface_operations_are_inherited_and_merged() -> None:
    text = (
        V13
        + """
node_types:
  my.App:
    derived_from: tosca.nodes.SoftwareComponent
    interfaces:
      Standard:
        create: install.yml
        configure:
          implementation: configure.yml
          inputs:
            port: 80
topology_template:
  node_templates:
    host: {type: tosca.nodes.Compute}
    app:
      type: my.App
      requirements: [{host: host}]
      interfaces:
        Standard:
          configure:
            inputs:
              extra: { get_property: [SELF, component_version] }
"""
    )
    app = plan(text).instances_of("app")[0]
    ops = app.interfaces["Standard"]
    assert ops["create"].implementation == "install.yml"
    assert ops["configure"].implementation == "configure.yml"
    assert ops["configure"].inputs == {"port": 80, "extra": None}


def test_operation_implementation_may_name_an_artifact() -> None:
    text = (
        V13
        + """
topology_template:
  node_templates:
    vm:
      type: tosca.nodes.Compute
      artifacts:
        setup: {file: playbooks/setup.yml, type: tosca.artifacts.Implementation}
      interfaces:
        Standard:
          create: {implementation: {primary: setup, dependencies: [roles.yml], timeout: 60}}
          configure: setup
"""
    )
    ops = plan(text).instances_of("vm")[0].interfaces["Standard"]
    assert ops["create"].implementation == "playbooks/setup.yml"
    assert ops["create"].dependencies == ["roles.yml"] and ops["create"].timeout == 60
    assert ops["configure"].implementation == "playbooks/setup.yml"


def test_a_template_redefining_a_library_type_does_not_leak(tmp_path) -> None:
    lib = tmp_path / "lib.yaml"
    lib.write_text(
        V13 + "node_types:\n  lib.Base:\n    derived_from: tosca.nodes.Root\n"
        "    properties: {p: {type: integer, default: 1}}\n"
        "  lib.Child: {derived_from: lib.Base}\n"
    )
    proc = Processor()
    mine = proc.load_text(
        V13 + "imports: [lib.yaml]\nnode_types:\n  lib.Base:\n    derived_from: tosca.nodes.Root\n"
        "    properties: {q: {type: string, default: x}}\n",
        base_dir=tmp_path,
    )
    assert set(mine.registry.get("node_types", "lib.Base").properties) == {"q"}
    other = proc.load_text(V13 + "imports: [lib.yaml]\n", base_dir=tmp_path)
    assert set(other.registry.get("node_types", "lib.Child").properties) == {"p"}
    assert set(mine.registry.get("node_types", "lib.Child").properties) == {"p"}


def test_problems_inside_lazily_read_library_types_are_located(tmp_path) -> None:
    (tmp_path / "lib.yaml").write_text(
        V13
        + "node_types:\n  lib.Unused: {derived_from: tosca.nodes.Root}\n"
        + "  lib.Used:\n    derived_from: tosca.nodes.Root\n    properties:\n"
        + "      p: {type: strng}\n      p2: {type: string}\n      p2: {type: integer}\n"
    )
    proc = Processor()
    tpl = proc.load_text(
        V13 + "imports: [lib.yaml]\ntopology_template:\n  node_templates:\n"
        "    n: {type: lib.Used}\n",
        base_dir=tmp_path,
    )
    report = proc.check(tpl)
    issue = only(report.errors, "unknown-type")
    assert issue.location.file.endswith("lib.yaml") and issue.location.line == 7
    warning = only(report.warnings, "duplicate-key")
    assert warning.location.line == 9

"""Functions: plan-time evaluation, Deferred, and run-time evaluation (item 5)."""

from __future__ import annotations

from typing import Any

from tosca_helpers import V13, check, plan

from cumulo.tosca import Deferred

TEMPLATE = (
    V13
    + """
topology_template:
  inputs:
    user: {type: string, default: alice}
    n: {type: integer, default: 2}
    disks: {type: list, entry_schema: {type: string}, default: [a, b]}
  node_templates:
    vm:
      type: tosca.nodes.Compute
      capabilities:
        scalable: {properties: {default_instances: { get_input: n }}}
        host: {properties: {num_cpus: 2}}
        os: {properties: {distribution: ubuntu, version: "22.04"}}
      artifacts:
        image: {file: images/ubuntu.qcow2, type: tosca.artifacts.Deployment.Image.VM}
    db:
      type: tosca.nodes.DBMS
      properties:
        root_password: { concat: [{ get_input: user }, "-", { get_input: [disks, 1] }] }
        port: 5432
      requirements:
        - host: vm
      interfaces:
        Standard:
          configure:
            implementation: db.yml
            inputs:
              cpus: { get_property: [HOST, host, num_cpus] }
              distro: { get_property: [HOST, os, distribution] }
              ip: { get_attribute: [HOST, private_address] }
              word: { token: [{ get_property: [SELF, root_password] }, "-", 1] }
              joined: { join: [[x, y, z], ","] }
              image: { get_artifact: [vm, image] }
              out: { get_operation_output: [SELF, Standard, create, id] }
  outputs:
    ips: { value: { get_attribute: [vm, public_address] } }
    first_ip: { value: { get_attribute: [vm, public_address, 0] } }
    second_ip: { value: { get_attribute: [vm, public_address, 1] } }
    db_ip: { value: { get_attribute: [db, private_address, 0] } }
    creds: { value: { get_attribute: [vm, endpoint, credential, 0] } }
    url: { value: { concat: ["pg://", { get_attribute: [vm, public_address, 0] }, ":",
                             { get_property: [db, port] }] } }
    user: { value: { get_input: user } }
"""
)


def attributes(node: str, index: int) -> dict[str, Any]:
    if node == "vm":
        return {
            "public_address": [f"10.0.0.{index + 1}"],
            "private_address": [f"192.168.0.{index + 1}"],
            "endpoint": {"credential": {"user": f"u{index}"}},
        }
    if node == "db":
        return {"operation_outputs": {"Standard.create": {"id": "db-42"}}}
    return {}


def test_plan_time_values_and_deferred_ones() -> None:
    p = plan(TEMPLATE)
    db = p.instances_of("db")[0]
    assert db.properties["root_password"] == "alice-b"
    inputs = db.interfaces["Standard"]["configure"].inputs
    assert inputs["cpus"] == 2
    assert inputs["distro"] == "ubuntu"
    assert inputs["word"] == "b"
    assert inputs["joined"] == "x,y,z"
    assert inputs["image"] == "images/ubuntu.qcow2"
    assert isinstance(inputs["ip"], Deferred)
    assert isinstance(inputs["out"], Deferred)
    assert db.interfaces["Standard"]["configure"].implementation == "db.yml"


def test_deferred_values_are_evaluated_with_runtime_attributes() -> None:
    p = plan(TEMPLATE)
    db = p.instances_of("db")[0]
    inputs = db.interfaces["Standard"]["configure"].inputs
    assert p.evaluate(inputs["ip"], db, attributes) == ["192.168.0.1"]  # its own host instance
    assert p.evaluate(inputs["out"], db, attributes) == "db-42"


def test_outputs_follow_im_get_attribute_semantics() -> None:
    out = plan(TEMPLATE).evaluate_outputs(attributes)
    assert out["ips"] == [["10.0.0.1"], ["10.0.0.2"]]  # a list over the two instances
    assert out["first_ip"] == "10.0.0.1"
    assert out["second_ip"] == "10.0.0.2"
    assert out["creds"] == {"user": "u0"}
    assert out["url"] == "pg://10.0.0.1:5432"
    assert out["user"] == "alice"
    assert out["db_ip"] is None  # no such runtime attribute: None


def test_single_instance_index_reads_into_the_value() -> None:
    text = (
        V13
        + """
topology_template:
  node_templates:
    vm: {type: tosca.nodes.Compute}
  outputs:
    ip: { value: { get_attribute: [vm, public_address, 0] } }
    all: { value: { get_attribute: [vm, public_address] } }
"""
    )
    p = plan(text)
    out = p.evaluate_outputs(lambda n, i: {"public_address": ["1.2.3.4", "5.6.7.8"]})
    assert out == {"ip": "1.2.3.4", "all": ["1.2.3.4", "5.6.7.8"]}
    assert p.evaluate_outputs(lambda n, i: {}) == {"ip": None, "all": None}


def test_get_property_target_and_source_in_relationships() -> None:
    text = (
        V13
        + """
topology_template:
  node_templates:
    vm: {type: tosca.nodes.Compute}
    vol: {type: tosca.nodes.BlockStorage, properties: {size: 5 GB}}
    app:
      type: tosca.nodes.SoftwareComponent
      properties: {component_version: "1.2"}
      requirements:
        - host: vm
        - dependency:
            node: vol
            relationship:
              type: tosca.relationships.DependsOn
              interfaces:
                Configure:
                  pre_configure_source:
                    implementation: mount.yml
                    inputs:
                      size: { get_property: [TARGET, size] }
                      version: { get_property: [SOURCE, component_version] }
"""
    )
    app = plan(text).instances_of("app")[0]
    rel = next(r for r in app.requirements if r.name == "dependency")
    op = rel.interfaces["Configure"]["pre_configure_source"]
    assert op.inputs == {"size": "5 GB", "version": "1.2"}


def test_bad_function_calls_are_errors_with_location() -> None:
    text = (
        V13
        + """
topology_template:
  node_templates:
    vm:
      type: tosca.nodes.Compute
      capabilities:
        os:
          properties:
            distribution: { get_property: [HOST, os, distribution] }
            type: { token: [a] }
"""
    )
    report = check(text, {})
    lines = sorted(i.location.line for i in report.errors)
    assert lines == [10, 11]


def test_get_property_nested_paths_and_indexes() -> None:
    text = (
        V13
        + """
node_types:
  my.Store:
    derived_from: tosca.nodes.Root
    properties:
      credential: {type: tosca.datatypes.Credential}
      hosts: {type: list, entry_schema: {type: string}}
topology_template:
  node_templates:
    store:
      type: my.Store
      properties:
        credential: {user: bob, token: s3cret}
        hosts: [a.example, b.example]
  outputs:
    token: { value: { get_property: [store, credential, token] } }
    second: { value: { get_property: [store, hosts, 1] } }
    missing: { value: { get_property: [store, hosts, 7] } }
"""
    )
    out = plan(text).evaluate_outputs(lambda n, i: {})
    assert out == {"token": "s3cret", "second": "b.example", "missing": None}

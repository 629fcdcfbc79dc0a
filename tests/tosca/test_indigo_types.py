"""Our INDIGO custom types (profiles/indigo/custom_types.yaml) under the real processor."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cumulo.tosca.processor import Processor

TYPES = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "cumulo"
    / "tosca"
    / "profiles"
    / "indigo"
    / "custom_types.yaml"
)
HEADER = """\
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - indigo_custom_types: https://cumulo.dev/tosca/indigo/custom_types.yaml
"""
EVERYTHING = (
    HEADER
    + """
topology_template:
  inputs:
    key: {type: string, default: "ssh-ed25519 AAAA user@host"}
  node_templates:
    server:
      type: tosca.nodes.indigo.Compute
      properties:
        instance_name: server
        os_users:
          - os_user_name: ana
            os_user_add_to_sudoers: true
            os_user_ssh_public_key: { get_input: key }
        tags: {project: demo}
      capabilities:
        endpoint:
          properties:
            network_name: PUBLIC
            dns_name: server
            ports:
              http: {protocol: tcp, source: 80, remote_cidr: 10.0.0.0/8}
              range: {protocol: udp, source_range: [6000, 6010]}
        scalable:
          properties: {count: 2, removal_list: []}
        host:
          properties: {num_cpus: 2, mem_size: 4 GB, num_gpus: 0, instance_type: m1.small}
        os:
          properties: {distribution: debian, version: "12.0", type: linux, image: debian-12}
      requirements:
        - local_storage:
            node: volume
            relationship:
              type: tosca.relationships.indigo.AttachesTo
              properties: {location: /data, fs_type: xfs}
    volume:
      type: tosca.nodes.indigo.BlockStorage
      properties: {size: 10 GiB, type: ssd}
    web:
      type: tosca.nodes.indigo.dockerRun
      properties:
        docker_image: nginx
        docker_ports: ["8080:80", "443"]
        environment_variables: {MODE: demo}
      capabilities:
        host:
          properties: {num_cpus: 0.5, mem_size: 256 MiB}
      requirements:
        - host: server
    app:
      type: tosca.nodes.indigo.DockerCompose
      properties:
        project_name: demo
        docker_compose_file_url: https://example.org/compose.yaml
        environment_variables: [{KEY: value}]
      requirements:
        - host: server
    runtime:
      type: tosca.nodes.indigo.Container.Runtime.Docker
      capabilities:
        host:
          properties: {num_cpus: 1.5, mem_size: 1 GB}
    job:
      type: tosca.nodes.indigo.Container.Application.Docker
      properties: {command: "sleep 1", privileged: false}
      requirements:
        - host: runtime
    net:
      type: tosca.nodes.indigo.network.Network
      properties: {network_type: public}
    port:
      type: tosca.nodes.indigo.network.Port
      properties: {dns_name: server}
      requirements:
        - link: net
        - binding: server
  policies:
    - on_site:
        type: tosca.policies.indigo.SlaPlacement
        properties: {sla_id: sla-1}
        targets: [server]
    - on_cloud:
        type: tosca.policies.indigo.Placement
        properties: {cloud_id: local}
        targets: [web]
  outputs:
    node_ip: {value: {get_attribute: [server, public_address, 0]}}
    node_creds: {value: {get_attribute: [server, endpoint, credential, 0]}}
    ssh_port: {value: {get_attribute: [server, ssh_port]}}
    endpoints: {value: {get_attribute: [web, endpoints]}}
"""
)


@pytest.fixture(scope="module")
def processor() -> Processor:
    return Processor()


def errors_of(processor: Processor, text: str) -> list[str]:
    template = processor.load_text(text, name="t.yaml")
    return [f"{i.code}: {i.message} [{i.path}]" for i in processor.check(template)]


def test_every_type_resolves_without_issues(processor: Processor) -> None:
    template = processor.load_text(HEADER, name="t.yaml")
    declared = yaml.safe_load(TYPES.read_text())
    count = 0
    for kind, types in declared.items():
        if not kind.endswith("_types"):
            continue
        for name in types:
            resolved = template.registry.get(kind, name)
            assert resolved is not None, name
            assert [str(i) for i in resolved.issues] == [], name
            count += 1
    assert count >= 20


def test_a_template_using_every_type_is_clean(processor: Processor) -> None:
    assert errors_of(processor, EVERYTHING) == []


def test_a_refined_capability_type_brings_its_own_properties(processor: Processor) -> None:
    """tosca.nodes.indigo.Compute refines ``endpoint`` from Endpoint.Admin to
    tosca.capabilities.indigo.Endpoint, whose ``ports`` hold indigo PortSpecs
    (with remote_cidr). The node type's capability must carry the new type's
    definitions, not the parent capability's (capability_defs.capability_def)."""
    template = processor.load_text(HEADER, name="t.yaml")
    compute = template.registry.get("node_types", "tosca.nodes.indigo.Compute")
    endpoint = compute.capabilities["endpoint"]
    assert endpoint.type == "tosca.capabilities.indigo.Endpoint"
    ports = endpoint.properties["ports"].schema
    assert ports.entry_schema.type == "tosca.datatypes.indigo.network.PortSpec"
    assert "dns_name" in endpoint.properties


def test_compute_ancestry_and_instances(processor: Processor) -> None:
    # (without remote_cidr, which test_a_refined_capability_type_... covers)
    text = EVERYTHING.replace(", remote_cidr: 10.0.0.0/8", "")
    plan = processor.plan(processor.load_text(text, name="t.yaml"), {})
    servers = plan.instances_of("server")
    assert len(servers) == 2  # scalable.count
    assert servers[0].is_a("tosca.nodes.Compute")
    web = plan.instances_of("web")[0]
    assert web.properties["docker_tag"] == "latest"  # our default
    assert web.host == "server"
    assert plan.instances_of("job")[0].host == "runtime"
    assert plan.instances_of("volume")[0].host is None


@pytest.mark.parametrize(
    ("change", "code_fragment"),
    [
        ("docker_image: nginx", "docker_image"),  # removed: required
        ("remote_cidr: 10.0.0.0/8}", "sctp"),  # a protocol outside the valid values
        ("properties: {sla_id: sla-1}", "sla_id"),  # removed: required
        ("num_cpus: 0.5", "num_cpus"),  # a zero CPU limit
        ("project_name: demo", "project_name"),  # not a compose project name
        ("count: 2", "count"),  # a negative count
    ],
)
def test_mistakes_are_reported(processor: Processor, change: str, code_fragment: str) -> None:
    replacements = {
        "docker_image: nginx": "docker_tag: latest",
        "remote_cidr: 10.0.0.0/8}": "remote_cidr: 10.0.0.0/8, protocol: sctp}",
        "properties: {sla_id: sla-1}": "properties: {}",
        "num_cpus: 0.5": "num_cpus: 0",
        "project_name: demo": "project_name: Not A Name",
        "count: 2": "count: -1",
    }
    text = EVERYTHING.replace(change, replacements[change], 1)
    assert text != EVERYTHING
    found = errors_of(processor, text)
    assert any(code_fragment in line for line in found), found

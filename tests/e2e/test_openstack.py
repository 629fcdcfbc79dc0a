"""INDIGO/INFN-shaped templates deployed through cumulo's API on the REAL test cloud
(``scripts/test-cloud up``: Keystone, Nova with its fake hypervisor, Neutron, Cinder).

- INDIGO's own virtual machine example (``node_with_instance_type.yaml``, read from
  the corpus in ../shared/compat/indigo at test time) and an INFN-shaped "Virtual machine with
  block storage" (os_users, endpoint PortSpecs with remote_cidr, a private Network and
  a Port, a public Network and a Port, a BlockStorage), both importing INDIGO's real
  custom types: the server is ACTIVE with the flavor and image asked, the security
  group opens the template's ports, the floating IP is the ``node_ip`` output;
  deleting leaves nothing on the cloud (seen with the admin's eyes).
- A site with bad credentials is marked down with the reason and the deployment goes
  to the other site.
- 20 create/delete cycles leave nothing.

Whatever a test leaves when it fails part-way is deleted by deployment tag with the
admin cloud once cumulo has stopped (``leftovers``), so a failed run does not fill the
test cloud.

Deselected by default (``-m openstack``); skipped when the test cloud was never brought up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openstack
import pytest
import yaml
from e2e_helpers import FINAL, auth, cumulo_env, delete_and_wait_gone, serving

ROOT = Path(__file__).resolve().parents[2]
TC = ROOT / "var" / "test-cloud"
CLOUDS_YAML = TC / "clouds.yaml"
INDIGO = ROOT.parent / "shared" / "compat" / "indigo"
TYPES_URL = "https://raw.githubusercontent.com/indigo-dc/tosca-types/master/"

pytestmark = [
    pytest.mark.openstack,
    pytest.mark.skipif(not CLOUDS_YAML.exists(), reason="run scripts/test-cloud up"),
    pytest.mark.skipif(not INDIGO.exists(), reason=f"{INDIGO} (the INDIGO corpus) is absent"),
]

# INFN's "Virtual machine with block storage", in the shape of INFN Cloud's own template.
VM_WITH_STORAGE = f"""
tosca_definitions_version: tosca_simple_yaml_1_0
imports:
  - indigo_custom_types: {TYPES_URL}custom_types.yaml
topology_template:
  inputs:
    num_cpus: {{type: integer, default: 1}}
    mem_size: {{type: scalar-unit.size, default: 2 GB}}
    os_distribution: {{type: string, default: ubuntu}}
    os_version: {{type: version, default: 22.04}}
    users:
      type: list
      entry_schema: {{type: tosca.datatypes.indigo.User}}
      default: [{{os_user_name: carol, os_user_add_to_sudoers: false,
                  os_user_ssh_public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIcarol carol"}}]
    service_ports:
      type: map
      entry_schema: {{type: tosca.datatypes.indigo.network.PortSpec}}
      default:
        http: {{protocol: tcp, source: 80}}
        grid: {{protocol: tcp, source_range: [9000, 9010], remote_cidr: 192.168.0.0/16}}
    volume_size: {{type: scalar-unit.size, default: 2 GB}}
    mountpoint: {{type: string, default: /data}}
  node_templates:
    pub_network:
      type: tosca.nodes.network.Network
      properties: {{network_type: public}}
    server_pub_port:
      type: tosca.nodes.network.Port
      properties: {{order: 1}}
      requirements:
        - binding: vm_server
        - link: pub_network
    priv_network:
      type: tosca.nodes.network.Network
      properties: {{network_type: private}}
    server_priv_port:
      type: tosca.nodes.network.Port
      properties: {{order: 0}}
      requirements:
        - binding: vm_server
        - link: priv_network
    vm_server:
      type: tosca.nodes.indigo.Compute
      properties:
        os_users: {{get_input: users}}
      capabilities:
        endpoint:
          properties:
            network_name: PUBLIC
            ports: {{get_input: service_ports}}
        scalable: {{properties: {{count: 1}}}}
        host:
          properties: {{num_cpus: {{get_input: num_cpus}}, mem_size: {{get_input: mem_size}}}}
        os:
          properties:
            distribution: {{get_input: os_distribution}}
            version: {{get_input: os_version}}
      requirements:
        - local_storage:
            node: block_storage
            capability: tosca.capabilities.Attachment
            relationship:
              type: tosca.relationships.AttachesTo
              properties: {{location: {{get_input: mountpoint}}}}
    block_storage:
      type: tosca.nodes.BlockStorage
      properties: {{size: {{get_input: volume_size}}}}
  outputs:
    node_ip: {{value: {{get_attribute: [vm_server, public_address, 0]}}}}
    node_creds: {{value: {{get_attribute: [vm_server, endpoint, credential, 0]}}}}
    os_users: {{value: {{get_property: [vm_server, os_users]}}}}
"""


def indigo_vm() -> str:
    return (INDIGO / "tosca-types" / "examples" / "node_with_instance_type.yaml").read_text()


def cloud(name: str) -> Any:
    config = openstack.config.OpenStackConfig(config_files=[str(CLOUDS_YAML)])
    return openstack.connection.Connection(config=config.get_one(cloud=name))


@pytest.fixture(scope="module")
def admin() -> Iterator[Any]:
    conn = cloud("cumulo-test-admin")
    yield conn
    conn.close()


MADE: list[str] = []  # every deployment this module asked for


@pytest.fixture(scope="module")
def leftovers(admin: Any) -> Iterator[None]:
    """After cumulo has stopped (``server`` needs this fixture), remove what is left of
    this module's deployments on the cloud, by tag, as the admin."""
    yield
    for dep_id in MADE:
        purge(admin, dep_id)


def purge(admin: Any, dep_id: str) -> None:
    tag = f"cumulo-d-{dep_id}"
    for vm in admin.compute.servers(all_projects=True, tags=tag):
        admin.compute.delete_server(vm, ignore_missing=True)
    deadline = time.monotonic() + 60
    while list(admin.compute.servers(all_projects=True, tags=tag)):
        if time.monotonic() > deadline:
            break
        time.sleep(1)
    for fip in admin.network.ips(tags=tag):
        admin.network.delete_ip(fip, ignore_missing=True)
    for port in admin.network.ports(tags=tag):
        admin.network.delete_port(port, ignore_missing=True)
    for group in admin.network.security_groups(tags=tag):
        admin.network.delete_security_group(group, ignore_missing=True)
    for volume in admin.block_storage.volumes(all_projects=True):
        if (volume.metadata or {}).get("cumulo_deployment") == dep_id:
            admin.block_storage.delete_volume(volume, ignore_missing=True, force=True)


@pytest.fixture(scope="module")
def server(leftovers: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """cumulo with the test cloud, a twin of it with bad credentials, no local site."""
    (site,) = yaml.safe_load((TC / "sites.yaml").read_text())["sites"]
    bad = {**site, "name": "bad-cloud", "credentials": "password:cumulo:not-the-password",
           "options": {**site["options"], "project_name": "cumulo"}}  # fmt: skip
    local = {"name": "local", "kind": "docker", "status": "maintenance"}
    data = tmp_path_factory.mktemp("cumulo-openstack")
    sites_file = data / "sites.yaml"
    sites_file.write_text(yaml.safe_dump({"sites": [site, bad, local]}))
    env = cumulo_env(import_map=f"{TYPES_URL}={INDIGO / 'tosca-types'}/",
                     health_probe_seconds="0")  # fmt: skip
    with serving(data, "--workers", "2", "--sites-file", str(sites_file), env=env) as url:
        yield url


def deploy(url: str, template: str, parameters: dict[str, Any], **extra: Any) -> str:
    body = {"template": template, "parameters": parameters, **extra}
    r = httpx.post(f"{url}/deployments", headers=auth(url), json=body, timeout=30)
    assert r.status_code == 201, r.text
    MADE.append(r.json()["uuid"])
    return MADE[-1]


def final(url: str, dep_id: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = httpx.get(f"{url}/deployments/{dep_id}", headers=auth(url), timeout=10).json()
        if body["status"] in FINAL:
            return body
        time.sleep(0.5)
    pytest.fail(f"{dep_id} not final after {timeout} s: {body}")


def left_on_cloud(admin: Any, dep_id: str, timeout: float = 60) -> dict[str, list[str]]:
    """What the cloud still holds of the deployment, once deletes have settled."""
    tag = f"cumulo-d-{dep_id}"
    deadline = time.monotonic() + timeout
    while True:
        found = {
            "servers": [s.id for s in admin.compute.servers(all_projects=True, tags=tag)],
            "ports": [p.id for p in admin.network.ports(tags=tag)],
            "floating_ips": [f.id for f in admin.network.ips(tags=tag)],
            "security_groups": [g.id for g in admin.network.security_groups(tags=tag)],
            "volumes": [v.id for v in admin.block_storage.volumes(all_projects=True)
                        if (v.metadata or {}).get("cumulo_deployment") == dep_id],
        }  # fmt: skip
        if not any(found.values()) or time.monotonic() > deadline:
            return found
        time.sleep(1)


def resource_of(url: str, dep_id: str, node: str) -> dict[str, Any]:
    r = httpx.get(f"{url}/deployments/{dep_id}/resources", headers=auth(url), timeout=10)
    return next(x for x in r.json()["content"] if x["toscaNodeName"] == node)


def test_indigos_virtual_machine_runs_on_the_cloud_and_delete_leaves_nothing(
    server: str, admin: Any
) -> None:
    dep_id = deploy(server, indigo_vm(), {}, site="test-cloud")
    body = final(server, dep_id)
    assert body["status"] == "CREATE_COMPLETE", body["statusReason"]
    assert body["cloudProviderName"] == "test-cloud"
    (vm,) = admin.compute.servers(all_projects=True, tags=f"cumulo-d-{dep_id}")
    assert vm.status == "ACTIVE"
    assert vm.flavor["original_name"] == "m1.small"  # its instance_type
    # os type linux only: any image of the site's (all are linux)
    offered = {admin.image.find_image(n).id for n in ("ubuntu-20.04", "ubuntu-22.04", "debian-12")}
    assert vm.image["id"] in offered
    assert vm.metadata["cumulo_node"] == "simple_node"
    (fip,) = admin.network.ips(tags=f"cumulo-d-{dep_id}")
    assert body["outputs"]["node_ip"] == fip.floating_ip_address
    (group,) = admin.network.security_groups(tags=f"cumulo-d-{dep_id}")
    opened = {(r["protocol"], r["port_range_min"]) for r in group.security_group_rules
              if r["direction"] == "ingress"}  # fmt: skip
    assert {("tcp", 22), ("tcp", 9000), ("tcp", 9001)} <= opened
    delete_and_wait_gone(server, dep_id, timeout=180)
    left = left_on_cloud(admin, dep_id)
    assert set(left) == {"servers", "ports", "floating_ips", "security_groups", "volumes"}
    assert not any(left.values()), left


def test_infns_vm_with_block_storage_network_and_ports(server: str, admin: Any) -> None:
    dep_id = deploy(server, VM_WITH_STORAGE, {"num_cpus": 1, "mem_size": "2 GB"}, site="test-cloud")
    body = final(server, dep_id)
    assert body["status"] == "CREATE_COMPLETE", body["statusReason"]
    tag = f"cumulo-d-{dep_id}"
    (vm,) = admin.compute.servers(all_projects=True, tags=tag)
    assert (vm.status, vm.flavor["original_name"]) == ("ACTIVE", "m1.small")
    assert vm.image["id"] == admin.image.find_image("ubuntu-22.04").id
    (fip,) = admin.network.ips(tags=tag)
    assert body["outputs"]["node_ip"] == fip.floating_ip_address
    assert fip.port_id == admin.network.ports(device_id=vm.id).__next__().id
    (group,) = admin.network.security_groups(tags=tag)
    opened = {(r["protocol"], r["port_range_min"], r["port_range_max"], r["remote_ip_prefix"])
              for r in group.security_group_rules if r["direction"] == "ingress"}  # fmt: skip
    assert {("tcp", 22, 22, "0.0.0.0/0"), ("tcp", 80, 80, "0.0.0.0/0"),
            ("tcp", 9000, 9010, "192.168.0.0/16")} <= opened  # fmt: skip
    (volume,) = [v for v in admin.block_storage.volumes(all_projects=True)
                 if (v.metadata or {}).get("cumulo_deployment") == dep_id]  # fmt: skip
    assert volume.size == 2 and volume.status == "in-use"
    assert [a["server_id"] for a in volume.attachments] == [vm.id]
    assert resource_of(server, dep_id, "server_pub_port")["state"] == "CONFIGURED"
    creds = body["outputs"]["node_creds"]
    assert (creds[0] if isinstance(creds, list) else creds)["user"] == "admin"
    assert body["outputs"]["os_users"][0]["os_user_name"] == "carol"
    assert not list(admin.compute.keypairs())  # accounts by cloud-init, no keypair objects
    delete_and_wait_gone(server, dep_id, timeout=180)
    assert not any(left_on_cloud(admin, dep_id).values())


def test_a_site_with_bad_credentials_is_down_and_deployments_go_elsewhere(
    server: str, admin: Any
) -> None:
    r = httpx.post(f"{server}/sites/bad-cloud/probe", headers=auth(server), timeout=60)
    assert r.status_code == 200, r.text
    health = r.json()["health"]
    assert health["up"] is False and "refused the credentials" in health["error"]
    r = httpx.post(f"{server}/sites/test-cloud/probe", headers=auth(server), timeout=60)
    probed = r.json()
    assert probed["health"]["up"] is True
    assert [f["name"] for f in probed["flavors"]][:2] == ["m1.tiny", "m1.small"]
    assert probed["images"]["debian"]["12"] == "debian-12"
    assert probed["quotas"]["instances"] >= 1
    dep_id = deploy(server, indigo_vm(), {})
    body = final(server, dep_id)
    assert (body["status"], body["cloudProviderName"]) == ("CREATE_COMPLETE", "test-cloud")
    why = httpx.get(f"{server}/deployments/{dep_id}/scheduling", headers=auth(server)).json()
    rejected = {c["site"]: c["reason"] for c in why["candidates"] if c["verdict"] == "rejected"}
    assert "refused the credentials" in rejected["bad-cloud"]
    delete_and_wait_gone(server, dep_id, timeout=180)
    assert not any(left_on_cloud(admin, dep_id).values())


def test_twenty_create_delete_cycles_leave_nothing(server: str, admin: Any) -> None:
    template = indigo_vm()
    done: list[str] = []

    def cycle(_: int) -> str:
        dep_id = deploy(server, template, {}, site="test-cloud")
        body = final(server, dep_id, timeout=300)
        assert body["status"] == "CREATE_COMPLETE", body["statusReason"]
        delete_and_wait_gone(server, dep_id, timeout=300)
        return dep_id

    with ThreadPoolExecutor(4) as pool:
        done.extend(pool.map(cycle, range(20)))
    assert len(set(done)) == 20
    for dep_id in done:
        assert not any(left_on_cloud(admin, dep_id, timeout=30).values()), dep_id

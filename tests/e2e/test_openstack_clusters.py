"""The Kubernetes and Mesos catalogue entries on the REAL test cloud (``scripts/test-cloud up``),
as far as it goes (issue 17, item 6).

cumulo serves the local Docker site and the test cloud, both public; each cluster is posted
with automatic placement. The scheduler leaves the local site out with the reason (its
machines are containers: no kubelet or Mesos agent there) and picks the cloud, where the
master's server is created ACTIVE with the flavor and Ubuntu image asked, a floating IP and
the cluster's ports open. Nova's fake hypervisor boots nothing, so nothing answers SSH and
the configuration (INDIGO's roles) cannot run: the deployment stays CREATE_IN_PROGRESS waiting
for SSH on the master, and is deleted from there, leaving nothing on the cloud. The site's
jump host is a closed port of 127.0.0.1, so cumulo's SSH probes stay on this machine.

Deselected by default (``-m openstack``); skipped when the test cloud was never brought up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from e2e_helpers import auth, cumulo_env, delete_and_wait_gone, docker_problem, serving
from test_openstack import CLOUDS_YAML, TC, admin, left_on_cloud, purge  # noqa: F401

from cumulo import catalogue

pytestmark = [
    pytest.mark.openstack,
    pytest.mark.skipif(not CLOUDS_YAML.exists(), reason="run scripts/test-cloud up"),
]
CLUSTERS: dict[str, tuple[dict[str, Any], str, str, set[int]]] = {
    # entry -> (small inputs, the master's server node, its flavor, ports its group opens)
    "kubernetes": (
        {"admin_token": "a-token-of-the-lab-42", "wn_num": 1, "fe_cpus": 2, "fe_mem": "2 GB",
         "wn_cpus": 1, "wn_mem": "2 GB"},
        "lrms_server", "m1.medium", {22, 6443, 30443},
    ),
    "mesos": (
        {"mesos_password": "mesos-pass-9", "marathon_password": "marathon-pass-9",
         "slave_num": 1, "master_cpus": 2, "master_mem": "2 GB", "slave_mem": "2 GB"},
        "mesos_master_server", "m1.medium", {22, 5050, 8443},
    ),
}  # fmt: skip
MADE: list[str] = []


@pytest.fixture(scope="module")
def server(admin: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    problem = docker_problem()
    if problem:
        pytest.skip(f"the local site is the real Docker engine: {problem}")
    (site,) = yaml.safe_load((TC / "sites.yaml").read_text())["sites"]
    site["options"] = {**site["options"], "ssh_jump_host": "cumulo@127.0.0.1:1"}
    local = {"name": "local", "kind": "docker", "public": True}
    data = tmp_path_factory.mktemp("cumulo-openstack-clusters")
    sites_file = data / "sites.yaml"
    sites_file.write_text(yaml.safe_dump({"sites": [local, site]}))
    try:
        with serving(data, "--workers", "2", "--sites-file", str(sites_file),
                     env=cumulo_env(health_probe_seconds="0")) as url:  # fmt: skip
            yield url
    finally:  # whatever a failed test left, by tag, once cumulo has stopped
        for dep_id in MADE:
            purge(admin, dep_id)


def get(url: str, path: str) -> Any:
    r = httpx.get(f"{url}{path}", headers=auth(url), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def master_server(admin: Any, dep_id: str, node: str, timeout: float = 120) -> Any:  # noqa: F811
    """The deployment's server of ``node`` once ACTIVE (nova's fake hypervisor: seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for found in admin.compute.servers(all_projects=True, tags=f"cumulo-d-{dep_id}"):
            if found.metadata.get("cumulo_node") == node and found.status == "ACTIVE":
                return found
        time.sleep(1)
    pytest.fail(f"no ACTIVE server of {dep_id}'s {node} after {timeout} s")


@pytest.mark.parametrize("name", sorted(CLUSTERS))
def test_the_cluster_goes_to_the_cloud_and_its_master_server_is_made(
    server: str,
    admin: Any,  # noqa: F811
    name: str,
) -> None:
    inputs, master, flavor, ports = CLUSTERS[name]
    body = {"template": catalogue.find(name).read_text(), "parameters": inputs}  # type: ignore[union-attr]
    r = httpx.post(f"{server}/deployments", headers=auth(server), json=body, timeout=30)
    assert r.status_code == 201, r.text
    dep_id = r.json()["uuid"]
    MADE.append(dep_id)
    why = get(server, f"/deployments/{dep_id}/scheduling")
    assert why["ranked"] == ["test-cloud"]
    rejected = {c["site"]: c["reason"] for c in why["candidates"] if c["verdict"] == "rejected"}
    assert "needs a full virtual machine" in rejected["local"]
    assert "site local are containers sharing its host's kernel" in rejected["local"]
    # The master's and the workers' servers are made at once (independent nodes); the
    # workers' software waits for the master's configuration.
    vm = master_server(admin, dep_id, master)
    assert vm.flavor["original_name"] == flavor
    assert vm.image["id"] == admin.image.find_image("ubuntu-22.04").id
    vm_ports = [p.id for p in admin.network.ports(device_id=vm.id)]
    (fip,) = [f for f in admin.network.ips(tags=f"cumulo-d-{dep_id}") if f.port_id in vm_ports]
    port = admin.network.get_port(fip.port_id)
    opened = {r["port_range_min"] for gid in port.security_group_ids
              for r in admin.network.get_security_group(gid).security_group_rules
              if r["direction"] == "ingress" and r["protocol"] == "tcp"}  # fmt: skip
    assert ports <= opened
    # Nothing boots behind the fake hypervisor: the cluster waits for SSH on its master.
    waits = f"waiting for SSH on {master}"
    deadline = time.monotonic() + 60
    # No statusReason at all between two steps (the API leaves it out when there is none).
    while waits not in str((dep := get(server, f"/deployments/{dep_id}")).get("statusReason")):
        assert time.monotonic() < deadline, dep
        time.sleep(0.5)
    assert (dep["status"], dep["cloudProviderName"]) == ("CREATE_IN_PROGRESS", "test-cloud")
    delete_and_wait_gone(server, dep_id, timeout=180)
    assert not any(left_on_cloud(admin, dep_id).values())

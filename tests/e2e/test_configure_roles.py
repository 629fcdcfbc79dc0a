"""A node's operation uses an Ansible role given as a tar.gz URL (served on 127.0.0.1 by
the test, fetched through cumulo's egress policy): the role is installed into the run's
own folder, its task leaves a file on the VM, seen over SSH; a role the policy does not
allow fails the deployment naming it. The local site: the test cloud boots no VM."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_helpers import (
    auth,
    containers_of,
    cumulo_env,
    delete_and_wait_gone,
    free_port,
    serving,
    wait_final,
)
from tests.configure.role_helpers import http_folder, role_archive

pytestmark = pytest.mark.e2e

ROLE_TASK = """- name: Leave the role's mark on the node
  ansible.builtin.copy:
    dest: /tmp/role-mark
    content: "{{ mark }} from the role\\n"
"""
PLAYBOOK = "- hosts: all\n  gather_facts: false\n  roles:\n    - role: cumulo_mark\n"
TEMPLATE = """
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - indigo_custom_types: https://cumulo.dev/tosca/indigo/custom_types.yaml
topology_template:
  inputs:
    ssh_public_key: {type: string, default: ""}
    mark: {type: string, default: "a mark"}
  node_templates:
    marked:
      type: tosca.nodes.SoftwareComponent
      artifacts:
        mark_role:
          file: ROLE_URL
          type: tosca.artifacts.AnsibleGalaxy.role
      requirements:
        - host: server
      interfaces:
        Standard:
          configure:
            implementation: use-role.yml
            inputs: {mark: {get_input: mark}}
    server:
      type: tosca.nodes.indigo.Compute
      capabilities:
        host: {properties: {num_cpus: 1, mem_size: 512 MB}}
        os: {properties: {distribution: debian, version: 12}}
  outputs:
    ssh_port: {value: {get_attribute: [server, ssh_port]}}
    ssh_account: {value: {get_attribute: [server, ssh_account]}}
"""


@pytest.fixture(scope="module")
def role_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("roles-served")
    (root / "cumulo_mark.tar.gz").write_bytes(role_archive("cumulo_mark", ROLE_TASK))
    with http_folder(root) as url:
        yield f"{url}/cumulo_mark.tar.gz"


@pytest.fixture(scope="module")
def server(
    docker_ready: None, role_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """cumulo allowing network playbooks and roles, and egress to the role's server only."""
    playbooks = tmp_path_factory.mktemp("playbooks")
    (playbooks / "use-role.yml").write_text(PLAYBOOK)
    port = role_url.split(":")[2].split("/")[0]
    env = cumulo_env(playbook_dirs=str(playbooks), allow_network_imports="true",
                     allow_network_playbooks="true", egress_allow=f"127.0.0.1:{port}")  # fmt: skip
    with serving(tmp_path_factory.mktemp("cumulo-roles"), "--workers", "2", env=env) as url:
        yield url


def deploy(url: str, template: str, parameters: dict[str, Any]) -> str:
    body = {"template": template, "parameters": parameters}
    r = httpx.post(f"{url}/deployments", headers=auth(url), json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["uuid"]


def test_a_role_from_a_served_archive_configures_the_node(
    server: str, role_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    template = TEMPLATE.replace("ROLE_URL", role_url)
    parameters = {"ssh_public_key": key.with_suffix(".pub").read_text(), "mark": "carol's mark"}
    dep_id = deploy(server, template, parameters)
    dep = wait_final(server, dep_id, timeout=240)
    assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
    outputs = dep["outputs"]
    seen = subprocess.run(
        ["ssh", "-i", str(key), "-p", str(outputs["ssh_port"]), "-o", "BatchMode=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         f"{outputs['ssh_account']}@127.0.0.1", "cat /tmp/role-mark"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert seen.returncode == 0, seen.stderr
    assert seen.stdout == "carol's mark from the role\n"
    log = httpx.get(f"{server}/deployments/{dep_id}/log", headers=auth(server)).text
    assert "TASK [cumulo_mark : Leave the role's mark on the node]" in log
    delete_and_wait_gone(server, dep_id, timeout=120)
    assert containers_of(dep_id) == []


def test_a_role_the_egress_policy_does_not_allow_fails_naming_it(server: str) -> None:
    elsewhere = f"http://127.0.0.1:{free_port()}/cumulo_mark.tar.gz"  # not the allowed port
    dep_id = deploy(server, TEMPLATE.replace("ROLE_URL", elsewhere), {})
    dep = wait_final(server, dep_id, timeout=240)
    assert dep["status"] == "CREATE_FAILED"
    reason = dep["statusReason"]
    assert f"node marked[0]: role {elsewhere}: not reachable" in reason, reason
    assert containers_of(dep_id) == []
    delete_and_wait_gone(server, dep_id)

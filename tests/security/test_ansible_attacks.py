"""Issue 11, class 2: a TOSCA operation's inputs and its playbook never run anything on
cumulo's host. As mallory, through the real ``cumulo serve``: inputs naming Ansible's
connection variables are refused at POST; a playbook in INFN's style (``hosts: localhost``,
``connection: local``, ``delegate_to: localhost``, ``local_action``) runs on its node; a
Jinja lookup in a value is written as text, never evaluated on the host."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from attack_site import TOSCA_HEADER, SharedSite, docker_json
from e2e_helpers import labelled

pytestmark = pytest.mark.e2e

TEMPLATE = (
    TOSCA_HEADER
    + """
  inputs:
    value: {{ type: string, default: "" }}
  node_templates:
    app:
      type: tosca.nodes.SoftwareComponent
      requirements:
        - host: vm
      interfaces:
        Standard:{interface_inputs}
          configure:
            implementation: on_the_node.yml
            inputs:
              mark_dir: {mark_dir}
              value: {{ get_input: value }}{operation_inputs}
    vm:
      type: tosca.nodes.indigo.Compute
      capabilities:
        host: {{ properties: {{ num_cpus: 1, mem_size: 512 MB }} }}
        os: {{ properties: {{ distribution: debian, version: 12 }} }}
"""
)


def template(mark_dir: Path, operation: str = "", interface: str = "") -> str:
    indent = "\n" + " " * 14
    return TEMPLATE.format(
        mark_dir=mark_dir,
        operation_inputs="".join(indent + line for line in operation.splitlines()),
        interface_inputs=(indent[:-4] + "inputs: " + interface) if interface else "",
    )


def count(site: SharedSite, user: str) -> int:
    return len(site.get(user, "/deployments").json().get("content", []))


@pytest.mark.parametrize(
    ("operation", "interface", "name"),
    [
        ("ansible_connection: local", "", "ansible_connection"),
        ("ansible_ssh_common_args: \"-o ProxyCommand='touch {marker}'\"", "",
         "ansible_ssh_common_args"),
        ("ansible_ssh_executable: /usr/bin/touch", "", "ansible_ssh_executable"),
        ("ansible_python_interpreter: /usr/bin/env", "", "ansible_python_interpreter"),
        ("ansible_become_exe: touch {marker}", "", "ansible_become_exe"),
        ("hostvars: {{}}", "", "hostvars"),
        ("", "{{ ansible_connection: local }}", "ansible_connection"),
    ],
)  # fmt: skip
def test_inputs_naming_ansible_variables_are_refused_at_post(
    shared_site: SharedSite, tmp_path: Path, operation: str, interface: str, name: str
) -> None:
    marker = tmp_path / "ran-on-the-host"
    before = count(shared_site, "mallory")
    text = template(tmp_path / "marks", operation.format(marker=marker),
                    interface.format(marker=marker))  # fmt: skip
    r = shared_site.post("mallory", text)
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    assert f"node app: operation Standard.configure: input '{name}' is reserved" in message
    assert "operation inputs are data" in message
    assert count(shared_site, "mallory") == before  # nothing stored, nothing to clean
    assert not marker.exists()


def test_a_local_playbook_runs_on_its_node_and_values_are_never_templates(
    shared_site: SharedSite, tmp_path: Path
) -> None:
    host_marker, marks = tmp_path / "jinja-ran-on-the-host", tmp_path / "marks"
    lookup = f"{{{{ lookup('pipe', 'touch {host_marker}') }}}}"
    dep = shared_site.deploy("mallory", template(marks), {"value": lookup}, timeout=300)
    dep_id = dep["uuid"]
    try:
        assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
        assert not host_marker.exists(), "a Jinja lookup in a value ran on cumulo's host"
        assert not marks.exists(), "a task of a 'connection: local' playbook ran on the host"
        (vm,) = labelled("container", dep_id)
        hostname = docker_json("inspect", vm)[0]["Config"]["Hostname"]
        for mark in ("play", "delegated", "local_action", "task_local", "group"):
            assert node_file(vm, marks / mark).strip() == hostname, mark
        assert node_file(vm, marks / "value") == lookup  # as text, on the node
        assert not list(shared_site.data.rglob("extravars"))
        assert not list(shared_site.data.rglob("id_ed25519"))
    finally:
        shared_site.remove("mallory", dep_id)
    assert labelled("container", dep_id) == []


def node_file(container: str, path: Path) -> str:
    done = subprocess.run(["docker", "exec", container, "cat", str(path)], capture_output=True,
                          text=True, timeout=30)  # fmt: skip
    assert done.returncode == 0, f"{path} not on the node: {done.stderr}"
    return done.stdout

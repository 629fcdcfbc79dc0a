"""TOSCA operations run by Ansible end to end: a real server, a VM-like node, SSH."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_helpers import (
    auth,
    catalogue_template,
    containers_of,
    create_deployment,
    delete_and_wait_gone,
    serving,
    wait_final,
)

pytestmark = pytest.mark.e2e

FAILING = """- hosts: all
  gather_facts: false
  tasks:
    - name: Check the disk
      ansible.builtin.command: "true"
    - name: Refuse politely
      ansible.builtin.fail:
        msg: "the answer is {{ answer }}"
"""


MARK = """- hosts: all
  gather_facts: false
  tasks:
    - name: Look at the page on the node
      ansible.builtin.stat:
        path: /srv/www/index.html
      register: page
    - name: Leave a mark on the node (every task runs there, delegated or not)
      ansible.builtin.shell: "echo {{ step }} {{ page.stat.exists }} >> /tmp/marks"
    - name: Bring the marks to the cumulo machine
      ansible.builtin.fetch:
        src: /tmp/marks
        dest: "{{ marker }}"
        flat: true
"""


@pytest.fixture(scope="module")
def server(docker_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose playbook folders also hold this module's playbooks."""
    playbooks = tmp_path_factory.mktemp("playbooks")
    (playbooks / "failing.yml").write_text(FAILING)
    (playbooks / "mark.yml").write_text(MARK)
    old = os.environ.get("CUMULO_PLAYBOOK_DIRS")
    os.environ["CUMULO_PLAYBOOK_DIRS"] = str(playbooks)
    try:
        with serving(tmp_path_factory.mktemp("cumulo-configure"), "--workers", "2") as url:
            yield url
    finally:
        if old is None:
            os.environ.pop("CUMULO_PLAYBOOK_DIRS", None)
        else:
            os.environ["CUMULO_PLAYBOOK_DIRS"] = old


def test_a_vm_configured_by_playbooks_serves_the_page(server: str) -> None:
    dep_id = create_deployment(server, "ansible-webpage", {"title": "Configured", "message": "hi"})
    dep = wait_final(server, dep_id, timeout=240)
    assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
    page = httpx.get(dep["outputs"]["url"], timeout=5).text
    assert "<h1>Configured</h1><p>hi</p>" in page
    assert int(dep["outputs"]["page_bytes"]) == len(page.encode())
    log = httpx.get(f"{server}/deployments/{dep_id}/log", headers=auth(server)).text
    for operation in ("Standard.create", "Standard.configure", "Standard.start"):
        assert operation in log
    assert (
        log.index("Standard.create") < log.index("Standard.configure") < log.index("Standard.start")
    )
    assert "TASK [Write the page]" in log and "PLAY RECAP" in log
    delete_and_wait_gone(server, dep_id)
    assert containers_of(dep_id) == []


def _with_operation(implementation: str) -> str:
    text = catalogue_template("ansible-webpage")
    return text.replace("configure:\n            implementation: playbooks/webpage/configure.yml",
                        f"configure:\n            implementation: {implementation}")  # fmt: skip


@pytest.mark.parametrize(
    ("implementation", "reason"),
    [
        ("failing.yml", "task 'Refuse politely' failed: the answer is 42"),
        ("../../../../etc/passwd", "the path escapes its folder"),
    ],
)
def test_a_failed_operation_fails_the_attempt_naming_the_task(
    server: str, implementation: str, reason: str
) -> None:
    template = _with_operation(implementation).replace(
        "title: { get_input: title }", "title: { get_input: title }\n              answer: 42"
    )
    r = httpx.post(
        f"{server}/deployments", headers=auth(server), json={"template": template}, timeout=30
    )
    assert r.status_code == 201, r.text
    dep_id = r.json()["uuid"]
    dep = wait_final(server, dep_id, timeout=240)
    assert dep["status"] == "CREATE_FAILED"
    assert "node web_page[0]: operation Standard.configure" in dep["statusReason"]
    assert reason in dep["statusReason"], dep["statusReason"]
    assert containers_of(dep_id) == []
    delete_and_wait_gone(server, dep_id)


def test_stop_and_delete_operations_run_before_the_removal(server: str, tmp_path: Path) -> None:
    marker = tmp_path / "marks"
    template = catalogue_template("ansible-webpage")
    for step in ("stop", "delete"):
        template = template.replace(
            f"{step}: playbooks/webpage/{step}.yml",
            f"{step}:\n            implementation: mark.yml\n            inputs:\n"
            f"              step: {step}\n              marker: {marker}",
        )
    r = httpx.post(
        f"{server}/deployments", headers=auth(server), json={"template": template}, timeout=30
    )
    assert r.status_code == 201, r.text
    dep_id = r.json()["uuid"]
    dep = wait_final(server, dep_id, timeout=240)
    assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
    assert not marker.exists()
    delete_and_wait_gone(server, dep_id, timeout=120)
    assert marker.read_text() == "stop True\ndelete True\n"  # in order, the node still there
    assert containers_of(dep_id) == []

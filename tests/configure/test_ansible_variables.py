"""What a playbook run is given: reserved input names refused, inputs as unsafe data,
cumulo's connection pinned, an inventory whose every pattern is the node, a fixed
environment and a private folder on the tmpfs."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader

from cumulo.configure import Configurator, ConfigureError, Route
from cumulo.configure.inventory import NODE, inventory_for
from cumulo.configure.reserved import is_reserved, refuse_reserved_inputs
from cumulo.configure.runner import fixed_environment, private_folder
from cumulo.configure.variables import (
    ReservedInput,
    check_input_names,
    connection_vars,
    extra_vars_yaml,
)
from cumulo.errors import ToscaError
from cumulo.tosca import Processor
from cumulo.tosca.plan import Operation


@pytest.mark.parametrize(
    "name",
    ["ansible_connection", "ANSIBLE_SSH_COMMON_ARGS", "ansible_become_exe", "hostvars",
     "inventory_hostname", "groups", "omit", "playbook_dir", "environment", " ansible_host"],
)  # fmt: skip
def test_names_in_ansible_namespaces_are_reserved(name: str) -> None:
    assert is_reserved(name)
    with pytest.raises(ReservedInput, match=f"input {name!r} refused: operation inputs are data"):
        check_input_names({name: "x", "title": "y"})


@pytest.mark.parametrize("name", ["title", "web_root", "environment_variables", "ansible"])
def test_ordinary_names_are_not(name: str) -> None:
    assert not is_reserved(name)


def test_input_strings_are_unsafe_data_and_the_connection_is_cumulos(tmp_path: Path) -> None:
    pinned = connection_vars("127.0.0.1", 2222, "alice", tmp_path / "key", tmp_path / "cp")
    inputs = {"title": "{{ lookup('pipe', 'id') }}", "deep": {"{{ k }}": ["{% x %}", 1, None]}}
    text = extra_vars_yaml(inputs, pinned)
    assert text.startswith("!unsafe\n")  # the whole document: every string is data
    loaded = DataLoader().load(text)
    assert loaded == {**inputs, **pinned}
    assert pinned["ansible_connection"] == "ssh" and pinned["ansible_port"] == 2222
    assert pinned["ansible_ssh_executable"].startswith("/")
    assert pinned["ansible_ssh_common_args"] == ""


def _plan(operation_inputs: str):
    template = f"""
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  node_templates:
    app:
      type: tosca.nodes.SoftwareComponent
      interfaces:
        Standard:
          configure:
            implementation: site.yml
            inputs: {operation_inputs}
"""
    processor = Processor()
    return processor.plan(processor.load_text(template, name="template.yaml"), {})


def test_planning_refuses_reserved_inputs_naming_node_operation_and_input() -> None:
    refuse_reserved_inputs(_plan("{ title: hi }"))
    with pytest.raises(ToscaError) as caught:
        refuse_reserved_inputs(_plan("{ ansible_connection: local, hostvars: 1, title: hi }"))
    message = str(caught.value)
    where = "node app: operation Standard.configure"
    assert f"{where}: input 'ansible_connection' is reserved" in message
    assert "input 'hostvars' is reserved" in message and "'title'" not in message


def test_every_host_pattern_of_the_playbook_is_the_node(tmp_path: Path) -> None:
    (tmp_path / "more.yml").write_text("- hosts: workers\n  tasks: []\n")
    playbook = tmp_path / "site.yml"
    playbook.write_text(
        "- hosts: localhost\n  connection: local\n  tasks: []\n"
        "- hosts: 'front:&db,!old'\n  tasks: []\n"
        "- hosts: [all, '{{ target }}']\n  tasks: []\n"
        "- ansible.builtin.import_playbook: more.yml\n"
        "- import_playbook: ../outside.yml\n"
    )
    inventory = inventory_for(playbook)
    assert inventory["all"]["hosts"] == {NODE: None}
    groups = inventory["all"]["children"]
    assert set(groups) == {"front", "db", "old", "workers"}
    assert all(g["hosts"] == {NODE: None} for g in groups.values())
    assert inventory_for(tmp_path / "missing.yml")["all"]["children"] == {}


def test_the_run_folder_is_private_and_the_environment_fixed(monkeypatch) -> None:
    monkeypatch.setenv("LD_PRELOAD", "/tmp/evil.so")
    monkeypatch.setenv("ANSIBLE_CONFIG", "/tmp/evil.cfg")
    folder = private_folder()
    try:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK):
            assert folder.parent == Path("/dev/shm")
        env = fixed_environment(folder)
        assert "LD_PRELOAD" not in env and env["ANSIBLE_CONFIG"] == str(folder / "ansible.cfg")
        assert env["ANSIBLE_LOCAL_TEMP"].startswith(str(folder))
    finally:
        folder.rmdir()


def test_playbooks_with_ansible_tags_are_read(tmp_path: Path) -> None:
    playbook = tmp_path / "tagged.yml"
    playbook.write_text("- hosts: web\n  vars:\n    x: !unsafe '{{ y }}'\n  tasks: []\n")
    assert set(inventory_for(playbook)["all"]["children"]) == {"web"}
    assert yaml.safe_load("[]") == []


def test_the_configurator_refuses_reserved_inputs_before_anything_runs(tmp_path: Path) -> None:
    """The second line: a plan that bypassed planning's check never reaches Ansible."""
    operation = Operation("missing-playbook.yml", {"ansible_connection": "local"})
    instance = SimpleNamespace(
        node="app", host="vm", interfaces={"Standard": {"configure": operation}}
    )
    configurator = Configurator(tmp_path, (tmp_path,), {}, False)
    route = Route("127.0.0.1", 1, "nobody")
    with pytest.raises(ConfigureError) as caught:
        configurator.run("dep", instance, ["configure"], route, lambda v: v, lambda *_: None)
    assert str(caught.value).startswith(
        "node app: operation Standard.configure: input 'ansible_connection' refused"
    )

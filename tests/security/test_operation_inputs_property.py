"""Issue 11, class 2 as a property: whatever operation inputs a template carries (names in
Ansible's namespaces, Jinja in values and keys, nested maps), a name in Ansible's namespaces
is refused, cumulo's connection settings are the ones Ansible uses, and every user value
reaches the playbook as data, never as a template. Most examples go through the variable
building and Ansible's own YAML loader; a few through a real ``ansible-playbook`` run."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cumulo.configure.reserved import MAGIC_NAMES, is_reserved, refuse_reserved_inputs
from cumulo.configure.runner import Target, run_playbook
from cumulo.configure.variables import ReservedInput, connection_vars, extra_vars_yaml
from cumulo.errors import ToscaError
from cumulo.tosca import Processor

MARKER = Path(tempfile.gettempdir()) / "cumulo-property-jinja-ran-on-the-host"
JINJA = [
    f"{{{{ lookup('pipe', 'touch {MARKER}') }}}}",
    f"{{% set x = lookup('pipe', 'touch {MARKER}') %}}",
    "{{ ansible_connection }}", "{{ hostvars | length }}", "{# comment #}", "{{", "}}",
]  # fmt: skip
CONNECTION_NAMES = ["connection", "ssh_common_args", "ssh_executable", "become_exe", "host",
                    "python_interpreter", "ssh_extra_args", "port", "user", "become"]  # fmt: skip

identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
ansible_names = st.builds(
    lambda case, suffix: case("ansible_" + suffix),
    st.sampled_from([str, str.upper, str.title]),
    st.one_of(st.sampled_from(CONNECTION_NAMES), identifiers),
)
names = st.one_of(
    identifiers, ansible_names, st.sampled_from(sorted(MAGIC_NAMES)), st.text(max_size=8)
)
strings = st.one_of(st.text(max_size=20), st.sampled_from(JINJA))
leaves = st.one_of(strings, st.integers(), st.booleans(), st.none(),
                   st.floats(allow_nan=False, allow_infinity=False))  # fmt: skip
values = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.one_of(names, strings), inner, max_size=3)),
    max_leaves=8,
)  # fmt: skip
input_maps = st.dictionaries(names, values, max_size=6)


def pinned(tmp: Path) -> dict[str, Any]:
    return connection_vars("127.0.0.1", 1, "nobody", tmp / "key", tmp / "cp")


@settings(max_examples=300, deadline=None)
@given(inputs=input_maps)
@example(inputs={"_": "\x85"})  # a NEL was once read back as a line break
def test_inputs_are_refused_or_unsafe_data_beside_cumulos_connection(inputs) -> None:
    tmp = Path(tempfile.gettempdir())
    reserved = [n for n in inputs if is_reserved(n)]
    if reserved:
        with pytest.raises(ReservedInput) as caught:
            extra_vars_yaml(inputs, pinned(tmp))
        assert all(repr(n) in str(caught.value) for n in reserved)
        return
    text = extra_vars_yaml(inputs, pinned(tmp))
    loaded = DataLoader().load(text)
    assert {k: loaded[k] for k in pinned(tmp)} == pinned(tmp)  # the connection is cumulo's
    assert {k: loaded[k] for k in inputs} == yaml.safe_load(yaml.safe_dump(inputs))
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert root.tag == "!unsafe"  # ansible-core reads everything under it as data


TOSCA = {
    "tosca_definitions_version": "tosca_simple_yaml_1_0",
    "topology_template": {"node_templates": {"app": {
        "type": "tosca.nodes.SoftwareComponent",
        "interfaces": {"Standard": {"configure": {"implementation": "site.yml"}}}}}},
}  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation_names=st.lists(st.one_of(identifiers, ansible_names), max_size=4, unique=True))
def test_planning_refuses_exactly_the_reserved_names(operation_names) -> None:
    document = yaml.safe_load(yaml.safe_dump(TOSCA))
    configure = document["topology_template"]["node_templates"]["app"]["interfaces"]
    configure["Standard"]["configure"]["inputs"] = dict.fromkeys(operation_names, "x")
    processor = Processor()
    plan = processor.plan(processor.load_text(yaml.safe_dump(document), name="t.yaml"), {})
    reserved = [n for n in operation_names if is_reserved(n)]
    if not reserved:
        refuse_reserved_inputs(plan)
        return
    with pytest.raises(ToscaError) as caught:
        refuse_reserved_inputs(plan)
    for name in reserved:
        assert f"operation Standard.configure: input '{name}' is reserved" in str(caught.value)


PINNED = ("ansible_connection", "ansible_host", "ansible_port", "ansible_user",
          "ansible_ssh_executable", "ansible_ssh_common_args", "ansible_ssh_args")  # fmt: skip
ECHO = """- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_connection: local
    ansible_ssh_common_args: "-o ProxyCommand='touch {marker}'"
  tasks:
    - ansible.builtin.set_fact:
        ansible_ssh_executable: /usr/bin/touch
    - ansible.builtin.set_stats:
        data:
          seen: "{{{{ hostvars[inventory_hostname] }}}}"
"""


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(inputs=input_maps)
def test_a_real_run_sees_cumulos_connection_and_the_values_as_given(inputs) -> None:
    assume(not any(is_reserved(n) for n in inputs))
    inputs = {**inputs, "jinja": JINJA[0], "nested": {JINJA[0]: [JINJA[1]]}}
    with tempfile.TemporaryDirectory() as folder:
        playbook = Path(folder) / "echo.yml"
        playbook.write_text(ECHO.format(marker=MARKER))
        run = run_playbook(playbook, Target("127.0.0.1", 1, "nobody", b"no key"), inputs, 60)
    assert run.failure is None, run.output
    seen = run.outputs["seen"]
    expected = pinned(Path("/any"))
    for name in PINNED:
        assert seen[name] == expected[name], name
    assert {k: seen[k] for k in inputs} == yaml.safe_load(yaml.safe_dump(inputs))
    assert not MARKER.exists(), "a value was templated on the host"

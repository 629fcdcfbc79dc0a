"""Bounds of the processor (issue 11): a deployment's instances are counted before any is made,
node templates are bounded, sizes are finite, and no string is anything but text."""

from __future__ import annotations

import pytest

from cumulo.errors import ToscaError
from cumulo.tosca import Processor
from cumulo.tosca import pipeline as pipeline_module
from cumulo.tosca.units import ScalarUnitError, parse_size

HEADER = """tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - indigo_custom_types: https://cumulo.dev/tosca/indigo/custom_types.yaml
"""


def bomb(nodes: int, count: int | str) -> str:
    node = """    n{i}:
      type: tosca.nodes.indigo.Compute
      capabilities:
        scalable:
          properties:
            count: {count}
"""
    body = "".join(node.format(i=i, count=count) for i in range(nodes))
    inputs = "  inputs:\n    n: {type: integer}\n"
    return f"{HEADER}topology_template:\n{inputs}  node_templates:\n{body}"


def codes(exc: pytest.ExceptionInfo[ToscaError]) -> set[str]:
    return {i.code for i in exc.value.issues if i.is_error}


def test_a_count_bomb_is_refused_before_any_instance_is_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_expansion(*_: object, **__: object) -> None:
        raise AssertionError("instances were expanded")

    monkeypatch.setattr(pipeline_module, "make_instances", no_expansion)
    proc = Processor()
    with pytest.raises(ToscaError) as exc:
        proc.plan(proc.load_text(bomb(60, 10_000)), {"n": 1})
    assert codes(exc) == {"too-many-instances"}
    assert "600000 instances ('n0' count 10000, 'n1' count 10000, 'n2' count 10000, ...), " \
        "over the limit of 200 instances per deployment" in str(exc.value)  # fmt: skip


def test_counts_from_inputs_are_summed_too() -> None:
    proc = Processor(max_instances=10)
    tpl = proc.load_text(bomb(3, "{ get_input: n }"))
    assert len(proc.plan(tpl, {"n": 3}).instances) == 9
    with pytest.raises(ToscaError) as exc:
        proc.plan(tpl, {"n": 4})
    assert codes(exc) == {"too-many-instances"} and "12 instances" in str(exc.value)


def test_node_templates_are_bounded_before_any_is_checked() -> None:
    proc = Processor(max_instances=50)
    with pytest.raises(ToscaError) as exc:
        proc.plan(proc.load_text(bomb(51, 0)), {"n": 1})
    assert codes(exc) == {"too-many-node-templates"}
    assert "51 node templates, over the limit of 50" in str(exc.value)
    assert proc.plan(proc.load_text(bomb(50, 1)), {"n": 1}).instances


@pytest.mark.parametrize("size", ["1e308 TB", "1e400 GB", "9" * 80 + " B"])
def test_sizes_are_finite_in_bytes(size: str) -> None:
    with pytest.raises(ScalarUnitError, match="finite"):
        parse_size(size)


def test_a_large_but_finite_size_parses() -> None:
    assert parse_size("99999999999 TB") == 99999999999 * 10**12


ENV_TEMPLATE = (
    HEADER
    + """topology_template:
  inputs:
    env: {type: map, entry_schema: {type: string}}
  node_templates:
    app:
      type: tosca.nodes.indigo.dockerRun
      properties:
        docker_image: cumulo/httpd
        environment_variables: { get_input: env }
"""
)


@pytest.mark.parametrize(
    ("env", "where", "char"),
    [
        ({"A": "x\x00y"}, "env.A", "U+0000"),
        ({"A": "\x1b[31m"}, "env.A", "U+001B"),
        ({"A\x00": "x"}, "env.A\x00", "U+0000"),
        ({"A": "\x7f"}, "env.A", "U+007F"),
    ],
)
def test_parameters_must_be_text(env: dict[str, str], where: str, char: str) -> None:
    proc = Processor()
    with pytest.raises(ToscaError) as exc:
        proc.plan(proc.load_text(ENV_TEMPLATE), {"env": env})
    issue = next(i for i in exc.value.issues if i.code == "bad-character")
    assert issue.path == f"inputs.{where}" and char in issue.message


def test_tabs_line_breaks_and_any_language_are_text() -> None:
    proc = Processor()
    env = {"A": "tab\there\r\nnext", "B": "ümlaut 日本 😀"}
    plan = proc.plan(proc.load_text(ENV_TEMPLATE), {"env": env})
    assert plan.instances[0].properties["environment_variables"] == env


@pytest.mark.parametrize("escape", ["\\0", "\\x01", "\\e", "\\x7f", "\\x9b"])
def test_a_template_cannot_write_control_characters_with_escapes(escape: str) -> None:
    template = ENV_TEMPLATE.replace("{ get_input: env }", f'{{A: "a{escape}b"}}')
    with pytest.raises(ToscaError) as exc:
        Processor().load_text(template)
    assert codes(exc) == {"bad-character"}

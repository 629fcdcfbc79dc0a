"""Inputs: user parameters with web-form coercions, defaults, required,
constraints, unknown names (issue 2, item 4)."""

from __future__ import annotations

import pytest
from tosca_helpers import V13, check, codes, plan

from cumulo.errors import ToscaError

INPUTS = (
    V13
    + """
topology_template:
  inputs:
    cpus: {type: integer, default: 1, constraints: [{valid_values: [1, 2, 4]}]}
    mem: {type: scalar-unit.size, default: 2 GB, constraints: [{in_range: [1 GB, 16 GB]}]}
    public: {type: boolean, default: false}
    ratio: {type: float, default: 0.5}
    name: {type: string}
    ports: {type: list, entry_schema: {type: integer}, required: false}
    optional: {type: string, required: false}
  node_templates:
    vm:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties:
            num_cpus: { get_input: cpus }
            mem_size: { get_input: mem }
"""
)


def test_web_form_strings_are_coerced_and_defaults_applied() -> None:
    p = plan(
        INPUTS,
        {
            "cpus": "2",
            "mem": "4 GB",
            "public": "true",
            "ratio": "1",
            "name": "x",
            "ports": "[80, 443]",
        },
    )
    assert p.inputs["cpus"] == 2
    assert p.inputs["mem"] == "4 GB"
    assert p.inputs["public"] is True
    assert p.inputs["ratio"] == 1.0
    assert p.inputs["ports"] == [80, 443]
    assert p.inputs["optional"] is None
    host = p.instances[0].capabilities["host"]
    assert host["num_cpus"] == 2 and host["mem_size"] == "4 GB"
    assert plan(INPUTS, {"name": "x"}).inputs["cpus"] == 1


def test_required_input_missing() -> None:
    with pytest.raises(ToscaError) as info:
        plan(INPUTS, {})
    issue = next(i for i in info.value.issues if i.code == "missing-input")
    assert "'name'" in issue.message and issue.location.line == 9


def test_check_without_parameters_does_not_require_them() -> None:
    assert check(INPUTS).ok


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cpus": "3"}, "constraint-violated"),
        ({"cpus": "two"}, "type-mismatch"),
        ({"mem": "64 GB"}, "constraint-violated"),
        ({"public": "maybe"}, "type-mismatch"),
    ],
)
def test_bad_parameters_are_named(params: dict, code: str) -> None:
    report = check(INPUTS, {"name": "x", **params})
    issue = next(i for i in report.errors if i.code == code)
    assert issue.path == f"inputs.{next(iter(params))}"
    assert next(iter(params)) in issue.message


def test_unknown_parameters_are_reported_by_name_with_hint() -> None:
    report = check(INPUTS, {"name": "x", "cpu": 2})
    issue = next(i for i in report.errors if i.code == "unknown-input")
    assert issue.path == "inputs.cpu" and issue.hint == "did you mean 'cpus'?"


def test_input_definitions_are_checked() -> None:
    report = check(
        V13
        + """
topology_template:
  inputs:
    a: {type: integr}
    b: {type: integer, default: lots}
    c: {type: string, constraints: [{min_lenght: 2}]}
    d: {type: string, descripton: x}
"""
    )
    assert {"unknown-type", "type-mismatch", "bad-constraint", "unknown-field"} <= codes(
        report.errors
    )


def test_empty_form_fields_for_non_strings_mean_not_given() -> None:
    p = plan(INPUTS, {"name": "x", "cpus": "", "optional": ""})
    assert p.inputs["cpus"] == 1  # the default
    assert p.inputs["optional"] == ""  # a string may be empty

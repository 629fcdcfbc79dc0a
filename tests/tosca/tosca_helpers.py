"""Small helpers shared by the TOSCA processor tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cumulo.errors import ToscaError
from cumulo.tosca import Issue, Processor, Report

DATA = Path(__file__).parent / "data"
V13 = "tosca_definitions_version: tosca_simple_yaml_1_3\n"


def check(text: str, inputs: dict[str, Any] | None = None, proc: Processor | None = None) -> Report:
    proc = proc or Processor()
    return proc.check(proc.load_text(text, name="t.yaml", base_dir=DATA), inputs)


def load_error(text: str | bytes, proc: Processor | None = None, **kw: Any) -> list[Issue]:
    """The issues of a template that must fail to load."""
    proc = proc or Processor()
    with pytest.raises(ToscaError) as info:
        proc.load_text(text, name="t.yaml", **kw)
    return info.value.issues


def codes(issues: list[Issue]) -> set[str]:
    return {i.code for i in issues}


def only(issues: list[Issue], code: str) -> Issue:
    found = [i for i in issues if i.code == code]
    assert len(found) == 1, f"expected one {code}, got {[str(i) for i in issues]}"
    return found[0]


def plan(text: str, inputs: dict[str, Any] | None = None, proc: Processor | None = None):
    proc = proc or Processor()
    return proc.plan(proc.load_text(text, name="t.yaml", base_dir=DATA), inputs)

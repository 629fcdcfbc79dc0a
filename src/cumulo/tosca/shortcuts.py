"""One-shot functions for scripts and tests: ``load_text``, ``load_file``,
``check`` and ``plan`` without keeping a Processor.

Each load makes a fresh ``Processor`` (no state survives the call, so nothing
is cached between calls: a long-running service keeps one Processor instead).
``check`` and ``plan`` need no Processor state at all: the loaded template
carries its types.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cumulo.tosca.plan import Plan
from cumulo.tosca.processor import Processor
from cumulo.tosca.template import Report, Template


def load_text(
    text: str | bytes,
    name: str = "template.yaml",
    base_dir: Path | str | None = None,
    **processor_options: Any,
) -> Template:
    return Processor(**processor_options).load_text(text, name=name, base_dir=base_dir)


def load_file(path: str | Path, **processor_options: Any) -> Template:
    return Processor(**processor_options).load_file(path)


def check(tpl: Template, inputs: Mapping[str, Any] | None = None) -> Report:
    return Processor().check(tpl, inputs)


def plan(tpl: Template, inputs: Mapping[str, Any] | None = None, **options: Any) -> Plan:
    return Processor().plan(tpl, inputs, **options)

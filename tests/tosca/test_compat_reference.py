"""docs/tosca-compat.md's table of the reference parser's own tests is current, and
every verdict that differs from tosca-parser's is argued (scripts/tosca_reference.py)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "tosca-compat.md"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    module = _load("tosca_reference")
    try:
        module.fetch_sdist()  # pip download of tosca-parser's sdist, once per checkout
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"tosca-parser's source distribution could not be fetched by pip: {exc}")
    return module


def _rows(text: str) -> dict[str, list[str]]:
    section = text.split("\n## The reference parser", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {row.split("`")[1]: [c.strip() for c in row.strip("|").split(" | ")] for row in rows}


def test_the_committed_table_is_current(reference: ModuleType) -> None:
    cell = _load("gen_tosca_compat").cell
    generated = reference.render(cell)
    assert generated in DOC.read_text(), "stale: run scripts/gen_tosca_compat.py"


def test_every_data_file_has_a_recorded_reference_verdict(reference: ModuleType) -> None:
    assert set(reference.files()) == set(reference.reference())


def test_every_difference_is_argued_and_no_argument_is_stale(reference: ModuleType) -> None:
    rows = _rows(DOC.read_text())
    assert set(rows) == set(reference.files())
    differing = {f for f, cells in rows.items() if cells[1].split(":")[0] != cells[2].split(":")[0]}
    argued = set(reference.differences())
    assert differing == argued, {"not argued": differing - argued, "stale": argued - differing}
    for name in differing:
        why = rows[name][3]
        assert why and why != "NOT ARGUED" and "\n" not in why

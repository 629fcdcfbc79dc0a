"""docs/tosca-compat.md is what scripts/gen_tosca_compat.py generates today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from corpus import CORPUS_DIR, available, verdicts

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_tosca_compat.py"
DOC = ROOT / "docs" / "tosca-compat.md"


def load_script():
    spec = importlib.util.spec_from_file_location("gen_tosca_compat", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated() -> str:
    if not available():
        pytest.skip(f"the INDIGO corpus is not at {CORPUS_DIR}")
    return load_script().render()


def test_committed_doc_is_up_to_date(generated: str) -> None:
    committed = DOC.read_text() if DOC.exists() else ""
    assert committed == generated, "docs/tosca-compat.md is stale: run scripts/gen_tosca_compat.py"


def _indigo(doc: str) -> str:
    """The INDIGO corpus part (the reference's own tests follow under their heading)."""
    return doc.split("\n## ", 1)[0]


def test_doc_has_a_row_per_corpus_file_with_both_verdicts(generated: str) -> None:
    rows = [line for line in _indigo(generated).splitlines() if line.startswith("| `")]
    listed = verdicts()
    assert len(rows) == len(listed)
    for line in rows:
        name = line.split("`")[1]
        assert name in listed
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        ours, theirs = cells[1], cells[2]
        assert ours == "accepted" or ours.startswith("rejected: ")
        expected = "accepted" if listed[name][0] == "accepted" else "rejected: "
        assert theirs.startswith(expected)


def test_every_rejection_is_located(generated: str) -> None:
    rejected = 0
    for line in _indigo(generated).splitlines():
        if not line.startswith("| `"):
            continue
        ours = [cell.strip() for cell in line.strip("|").split(" | ")][1]
        if ours.startswith("rejected: "):
            rejected += 1
            # the first error's file:line:column, as a compiler gives it
            file, line_no, column = ours.removeprefix("rejected: ").split(": ", 1)[0].split(":")
            assert file.endswith((".yaml", ".yml")) and line_no.isdigit() and column.isdigit()
    assert rejected > 0  # the corpus has real errors: a doc without any is suspect

"""Shapes production templates use (INFN Cloud's types and catalogue): accepted, with a
warning where the spec is bent; the shipped catalogue validates with no warning at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.tosca.tosca_helpers import V13, check, codes, only

from cumulo.errors import ToscaError
from cumulo.tosca import Processor

CATALOGUE = Path(__file__).resolve().parents[2] / "src" / "cumulo" / "catalogue" / "templates"

DISK = (
    V13
    + """
node_types:
  my.Disk:
    derived_from: tosca.nodes.Root
    properties:
      size:
        type: scalar-unit.size
        constraints: {in_range: [1 GB, 100 GB]}
    capabilities:
      feature:
        type: tosca.capabilities.Node
        valid_source_types: [tosca.nodes.indigo.Nowhere, tosca.nodes.Compute]
topology_template:
  node_templates:
    d:
      type: my.Disk
      properties: {size: SIZE}
"""
)


def test_constraints_written_as_a_map_are_read_as_a_list_with_a_warning() -> None:
    report = check(DISK.replace("SIZE", "5 GB"))
    assert not report.errors
    warning = only(report, "constraints-as-map")
    assert not warning.is_error and warning.location.line == 9
    too_big = check(DISK.replace("SIZE", "500 GB"))  # the clause still holds
    assert any("in_range" in i.message or "range" in i.message for i in too_big.errors)


def test_valid_source_types_naming_an_undefined_type_is_a_warning() -> None:
    report = check(DISK.replace("SIZE", "5 GB"))
    unknown = [i for i in report if i.code == "unknown-type"]
    assert [i.is_error for i in unknown] == [False]
    assert "tosca.nodes.indigo.Nowhere" in unknown[0].message and unknown[0].location.line == 13


def _types_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "checkout" / "tosca-types"
    folder.mkdir(parents=True)
    (folder / "types.yaml").write_text(
        V13 + "node_types:\n  infn.Thing:\n    derived_from: tosca.nodes.Root\n"
    )
    return folder


def _template(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(
        V13 + f"imports: [{url}]\n"
        "topology_template:\n  node_templates:\n    x: {type: infn.Thing}\n"
    )
    return path


@pytest.mark.parametrize("how", ["folder-is-a-symlink", "reached-through-a-symlink"])
def test_import_map_folder_behind_a_symlink_serves_its_files(tmp_path: Path, how: str) -> None:
    real = _types_folder(tmp_path)
    if how == "folder-is-a-symlink":
        mapped = tmp_path / "types-link"
        mapped.symlink_to(real)
    else:
        (tmp_path / "link").symlink_to(real.parent)
        mapped = tmp_path / "link" / "tosca-types"
    proc = Processor(import_map={"https://infn.example/types/": mapped})
    tpl = proc.load_file(_template(tmp_path, "https://infn.example/types/types.yaml"))
    assert not proc.check(tpl).errors


def test_symlink_out_of_a_mapped_folder_is_still_refused(tmp_path: Path) -> None:
    real = _types_folder(tmp_path)
    secret = tmp_path / "elsewhere.yaml"
    secret.write_text(V13)
    (real / "escape.yaml").symlink_to(secret)
    proc = Processor(import_map={"https://infn.example/types/": real})
    with pytest.raises(ToscaError) as info:
        proc.load_file(_template(tmp_path, "https://infn.example/types/escape.yaml"))
    assert "import-outside-roots" in codes(info.value.issues)


@pytest.mark.parametrize(
    "name", sorted(p.name for p in CATALOGUE.glob("*.yaml") if not p.name.endswith(".meta.yaml"))
)
def test_shipped_catalogue_validates_without_warnings(name: str) -> None:
    proc = Processor()
    tpl = proc.load_file(CATALOGUE / name)
    plan = proc.plan(tpl, require_inputs=False)
    issues = [*tpl.issues, *plan.warnings]
    assert issues == [], [str(i) for i in issues]

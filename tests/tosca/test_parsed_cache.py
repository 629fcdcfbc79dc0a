"""The disk cache of parsed type files: a new Processor (a new process) reuses what
an earlier one parsed, by content hash, and sees exactly what a fresh parse shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tosca_helpers import V13

from cumulo.tosca import Processor, parsed_cache

LIBRARY = (
    V13
    + """\
node_types:
  lib.nodes.Server:
    derived_from: tosca.nodes.Compute
    properties:
      size:
        type: integer
        description: first
        description: duplicated key, a warning when the type is read
"""
)
TEMPLATE = (
    V13
    + """\
imports: [lib.yaml]
topology_template:
  node_templates:
    web:
      type: lib.nodes.Server
      properties: {size: many}
"""
)


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "lib.yaml").write_text(LIBRARY)
    (tmp_path / "t.yaml").write_text(TEMPLATE)
    return tmp_path / "t.yaml", tmp_path / "cache"


def _issues(template: Path, cache: Path, **options: object) -> list[str]:
    proc = Processor(cache_dir=cache, **options)  # type: ignore[arg-type]
    return [str(i) for i in proc.check(proc.load_file(template))]


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "parsed").glob("*.pickle"))


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached type file was parsed again")

    monkeypatch.setattr(parsed_cache, "read_yaml", refuse)


def test_a_new_processor_reads_type_files_from_the_cache_and_reports_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template, cache = _setup(tmp_path)
    fresh = _issues(template, cache)
    assert any("size" in i and "many" in i for i in fresh)  # the library's type is used
    assert any("duplicate" in i.lower() for i in fresh)  # a warning read from the library
    # the normative types, the NFV data types (loaded for TOSCA 1.2 and later), lib.yaml
    assert len(_entries(cache)) == 3
    _no_parsing(monkeypatch)
    assert _issues(template, cache) == fresh  # same messages, same file:line:column


def test_a_changed_file_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template, cache = _setup(tmp_path)
    _issues(template, cache)
    before = len(_entries(cache))
    (tmp_path / "lib.yaml").write_text(LIBRARY.replace("type: integer", "type: string"))
    assert not any("many" in i for i in _issues(template, cache))  # now a valid size
    assert len(_entries(cache)) == before + 1  # keyed by content: a new entry beside the old


def test_a_corrupt_entry_is_read_again_not_an_error(tmp_path: Path) -> None:
    template, cache = _setup(tmp_path)
    fresh = _issues(template, cache)
    for entry in _entries(cache):
        entry.write_bytes(b"not a pickle")
    assert _issues(template, cache) == fresh


def test_a_folder_others_may_write_to_is_not_used(tmp_path: Path) -> None:
    template, cache = _setup(tmp_path)
    (cache / "parsed").mkdir(parents=True)
    os.chmod(cache / "parsed", 0o777)
    _issues(template, cache)
    assert _entries(cache) == []


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    template, cache = _setup(tmp_path)
    _issues(template, cache, cache_parsed=False)
    assert not (cache / "parsed").exists()


def test_processes_with_different_hash_seeds_share_entries(tmp_path: Path) -> None:
    """Set order changes with the hash seed: the key must not."""
    template, cache = _setup(tmp_path)
    probe = (
        "import sys; from pathlib import Path; from cumulo.tosca import Processor; "
        "p = Processor(cache_dir=Path(sys.argv[2])); p.check(p.load_file(sys.argv[1]))"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        argv = [sys.executable, "-c", probe, str(template), str(cache)]
        subprocess.run(argv, env=env, check=True, capture_output=True)
    assert len(_entries(cache)) == 3  # as one process makes: normative, NFV data types, lib

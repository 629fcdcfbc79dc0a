"""The catalogue as data: folders in order, reload on change, checks once per change, safety."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from catalogue_helpers import BROKEN, CountingProcessor, write_entry

from cumulo.catalogue import TEMPLATES_DIR
from cumulo.catalogue.folders import parse_folders
from cumulo.catalogue.library import Catalogue
from cumulo.catalogue.visibility import caller_access


@pytest.fixture
def processor() -> CountingProcessor:
    return CountingProcessor()


def test_own_folder_first_then_the_settings_folders(tmp_path: Path) -> None:
    folders = parse_folders(TEMPLATES_DIR, f" {tmp_path / 'a'} ;;{tmp_path / 'b'}")
    assert folders == [TEMPLATES_DIR, tmp_path / "a", tmp_path / "b"]


def test_shipped_entries_all_check_clean() -> None:
    snap = Catalogue([TEMPLATES_DIR], CountingProcessor()).snapshot()
    assert {"vm", "run-docker", "jupyter"} <= set(snap.entries)
    broken = {e.name: [str(i) for i in e.issues] for e in snap.entries.values() if not e.ok}
    assert broken == {}


def test_a_later_folder_replaces_an_entry_and_a_lone_metadata_file_layers_over_it(
    tmp_path: Path, processor: CountingProcessor
) -> None:
    first, second, third = tmp_path / "1", tmp_path / "2", tmp_path / "3"
    write_entry(first, "app", "First app", meta="ribbon: old\nicon: vm\n")
    write_entry(first, "other", "Other")
    write_entry(second, "app", "Second app")
    third.mkdir()
    (third / "other.meta.yaml").write_text("display_name: Renamed\nlocked: [students]\n")
    snap = Catalogue([first, second, third], processor).snapshot()
    app = snap.get("app")
    assert app is not None and app.display_name == "Second app"
    assert app.folder == second and app.replaces == (first,)
    assert "ribbon" not in app.metadata  # the earlier folder's metadata went with its template
    other = snap.get("other")
    assert other is not None and other.folder == first
    assert other.display_name == "Renamed" and other.metadata["locked"] == ["students"]
    assert other.metadata["icon"] == "docker"  # the template's own layer stays under it


def test_entries_added_changed_and_removed_at_run_time(
    tmp_path: Path, processor: CountingProcessor
) -> None:
    folder = tmp_path / "extra"
    folder.mkdir()
    cat = Catalogue([folder], processor, recheck_seconds=3600)
    assert cat.snapshot().entries == {}
    write_entry(folder, "app", "App v1")
    assert cat.snapshot().get("app").display_name == "App v1"  # the folder changed: at once
    write_entry(folder, "app", "App version two")
    assert cat.snapshot().get("app").display_name == "App version two"
    (folder / "app.yaml").unlink()
    assert cat.snapshot().entries == {}


def test_a_file_rewritten_in_place_is_seen_at_the_next_full_look(
    tmp_path: Path, processor: CountingProcessor
) -> None:
    folder = tmp_path / "extra"
    write_entry(folder, "app", "App v1")
    cat = Catalogue([folder], processor, recheck_seconds=3600)
    assert cat.snapshot().get("app").display_name == "App v1"
    path = write_entry(folder, "app", "App version two", in_place=True)
    os.utime(path, ns=(1, 1))  # even with an old timestamp (the size differs)
    assert cat.snapshot().get("app").display_name == "App v1"  # the folder did not change
    cat.recheck_seconds = 0  # what RECHECK_SECONDS (1 s) after the last full look means
    assert cat.snapshot().get("app").display_name == "App version two"


def test_each_template_is_checked_once_per_change_not_per_read(
    tmp_path: Path, processor: CountingProcessor
) -> None:
    folder = tmp_path / "extra"
    write_entry(folder, "one")
    write_entry(folder, "two")
    cat = Catalogue([folder], processor, recheck_seconds=0)
    first = cat.snapshot()
    assert sorted(processor.loaded) == ["one.yaml", "two.yaml"]
    for _ in range(5):
        assert cat.snapshot() is first
    assert len(processor.loaded) == 2
    write_entry(folder, "two", "Two, edited", in_place=True)
    (folder / "three.yaml").write_text((folder / "one.yaml").read_text())
    cat.snapshot()
    assert sorted(processor.loaded[2:]) == ["three.yaml", "two.yaml"]  # "one" kept


def test_a_broken_entry_is_kept_with_its_located_issue_and_not_offered(
    tmp_path: Path, processor: CountingProcessor
) -> None:
    folder = tmp_path / "extra"
    write_entry(folder, "good")
    write_entry(folder, "bad", text=BROKEN)
    write_entry(folder, "badmeta", meta="tabs: [a, b\n")
    snap = Catalogue([folder], processor).snapshot()
    assert [e.name for e in snap.offered()] == ["good"]
    assert snap.get("bad") is None and snap.get("badmeta") is None
    bad = snap.entries["bad"]
    assert bad.display_name == "bad" and bad.description == "A broken service"
    errors = [str(i) for i in bad.issues if i.is_error]
    assert any(e.startswith("bad.yaml:6:13: error:") and "NoSuchThing" in e for e in errors)
    meta_errors = [str(i) for i in snap.entries["badmeta"].issues if i.is_error]
    assert meta_errors and meta_errors[0].startswith("badmeta.meta.yaml:2:1: error:")


def test_metadata_without_a_template_is_an_issue(tmp_path: Path) -> None:
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "ghost.meta.yaml").write_text("display_name: Ghost\n")
    snap = Catalogue([folder], CountingProcessor()).snapshot()
    ghost = snap.entries["ghost"]
    assert not ghost.ok and "without a template" in str(ghost.issues[0])


def test_paths_cannot_escape_the_folder(tmp_path: Path, processor: CountingProcessor) -> None:
    outside = tmp_path / "outside"
    secret = write_entry(outside, "secret", "Secret service")
    folder = tmp_path / "extra"
    write_entry(folder, "inside", "Inside")
    (folder / "leak.yaml").symlink_to(secret)
    (folder / "leakdir").symlink_to(outside, target_is_directory=True)
    (folder / "alias.yaml").symlink_to(folder / "inside.yaml")  # inside: allowed
    (folder / "a.b.yaml").write_text((folder / "inside.yaml").read_text())
    (folder / "dir.yaml").mkdir()
    (folder / ".hidden.yaml").write_text("x: 1\n")
    snap = Catalogue([folder, tmp_path / "missing"], processor).snapshot()
    assert sorted(snap.entries) == ["alias", "inside"]
    assert snap.entries["alias"].path == (folder / "inside.yaml").resolve()
    why = {Path(r.path).name: r.reason for r in snap.refused}
    assert "leads out of the folder" in why["leak.yaml"]
    assert "letters, digits" in why["a.b.yaml"]
    assert why["dir.yaml"] == "not a regular file"
    assert "catalogue folder" in why["missing"]
    assert "secret" not in str(processor.loaded)


def test_a_lookup_by_name_never_walks_a_path(tmp_path: Path) -> None:
    snap = Catalogue([TEMPLATES_DIR], CountingProcessor()).snapshot()
    for name in ("../vm", "vm/../vm", "/etc/passwd", "vm.yaml", "", ".."):
        assert snap.get(name) is None


def test_caller_access_takes_the_best_of_the_callers_groups() -> None:
    private = {"visibility": {"type": "private", "groups": ["cms"]}, "locked": ["students"]}
    assert caller_access(private, []) == "hidden"
    assert caller_access(private, ["atlas"]) == "hidden"
    assert caller_access(private, ["atlas", "cms"]) == "open"
    assert caller_access({"locked": ["students"]}, ["students"]) == "locked"
    assert caller_access({"locked": ["students"]}, ["students", "staff"]) == "open"
    assert caller_access(private, [], admin=True) == "open"

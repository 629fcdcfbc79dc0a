"""Finding an operation's playbook: folders, confinement, import map, URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cumulo.config import Settings
from cumulo.configure import Configurator
from cumulo.configure.access import access_key
from cumulo.configure.playbooks import PlaybookError, find_playbook
from cumulo.configure.runner import parse_timeout


@pytest.fixture
def folders(tmp_path: Path) -> list[Path]:
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "roles").mkdir(parents=True)
    second.mkdir()
    (first / "roles" / "site.yml").write_text("- hosts: all\n")
    (second / "other.yml").write_text("- hosts: all\n")
    (tmp_path / "secret.yml").write_text("- hosts: all\n")
    (first / "link.yml").symlink_to(tmp_path / "secret.yml")
    return [first, second]


def test_relative_paths_are_found_in_the_folders_in_order(folders, tmp_path) -> None:
    assert (
        find_playbook("roles/site.yml", folders, {}, False, tmp_path)
        == (folders[0] / "roles" / "site.yml").resolve()
    )
    assert find_playbook("other.yml", folders, {}, False, tmp_path).name == "other.yml"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../secret.yml", "escapes its folder"),
        ("roles/../../secret.yml", "escapes its folder"),
        ("link.yml", "escapes its folder"),
        ("/etc/passwd", "must be a path relative to its folder"),
        ("missing.yml", "not found in the playbook folders"),
    ],
)
def test_paths_that_leave_their_folder_are_refused(folders, tmp_path, path, message) -> None:
    with pytest.raises(PlaybookError, match=message):
        find_playbook(path, folders, {}, False, tmp_path)


def test_urls_resolve_through_the_import_map_and_stay_inside(folders, tmp_path) -> None:
    mapping = {"https://example.org/playbooks/": folders[1]}
    found = find_playbook("https://example.org/playbooks/other.yml", [], mapping, False, tmp_path)
    assert found == (folders[1] / "other.yml").resolve()
    with pytest.raises(PlaybookError, match="escapes its folder"):
        find_playbook("https://example.org/playbooks/../secret.yml", [], mapping, False, tmp_path)
    with pytest.raises(PlaybookError, match="playbooks from the network are off"):
        find_playbook("https://elsewhere.org/x.yml", [], mapping, False, tmp_path)


def test_access_keys_are_per_deployment_and_stable(tmp_path: Path) -> None:
    one, again = access_key(tmp_path, "dep-1"), access_key(tmp_path, "dep-1")
    other = access_key(tmp_path, "dep-2")
    assert one.public_line == again.public_line != other.public_line
    assert one.public_line.startswith("ssh-ed25519 ")
    assert b"OPENSSH PRIVATE KEY" in one.private_openssh
    assert (tmp_path / "configure.key").stat().st_mode & 0o777 == 0o600
    assert access_key(tmp_path / "elsewhere", "dep-1").public_line != one.public_line


def test_operation_timeouts() -> None:
    assert parse_timeout(None) is None
    assert parse_timeout(30) == 30.0
    assert parse_timeout("2 m") == 120.0
    assert parse_timeout("soon") is None


def test_network_imports_alone_do_not_let_a_template_bring_its_own_playbook(tmp_path) -> None:
    """A fetched playbook is code Ansible partly runs on cumulo's host: its own setting."""
    imports_only = Settings(data_dir=tmp_path, allow_network_imports=True)
    assert not Configurator.from_settings(imports_only).allow_network
    both = Settings(data_dir=tmp_path, allow_network_imports=True, allow_network_playbooks=True)
    assert Configurator.from_settings(both).allow_network

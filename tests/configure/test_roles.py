"""Galaxy roles of a node's operations: read from its artifacts, installed with
ansible-galaxy into the run's own folder from an archive served on 127.0.0.1 (only where
the egress policy allows), or copied from an admin's playbook folder; a role that cannot
be had fails naming it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from tests.configure.role_helpers import http_folder, role_archive

from cumulo.configure.roles import RoleError, RoleSources, install_roles, role_specs
from cumulo.egress import EgressPolicy

TASKS = "- name: Leave the mark\n  ansible.builtin.copy: {dest: /tmp/mark, content: hi}\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 with a role archive and a file that is no archive."""
    root = tmp_path_factory.mktemp("served")
    (root / "markrole.tar.gz").write_bytes(role_archive("markrole", TASKS))
    (root / "broken.tar.gz").write_bytes(b"not an archive")
    with http_folder(root) as url:
        yield url


def sources(served: str, folders: tuple[Path, ...] = (), network: bool = True) -> RoleSources:
    port = served.rsplit(":", 1)[1]
    return RoleSources(folders, {}, network, EgressPolicy.parse(f"127.0.0.1:{port}"))


def test_role_artifacts_are_read_in_order_and_expressions_evaluated() -> None:
    instance = SimpleNamespace(artifacts={
        "nfs": {"file": "indigo-dc.nfs,master", "type": "tosca.artifacts.AnsibleGalaxy.role"},
        "image": {"file": "ubuntu:22.04", "type": "tosca.artifacts.Deployment.Image.Container"},
        "mine": {"file": {"get_input": "role"}, "type": "tosca.artifacts.AnsibleGalaxy.role"},
    })  # fmt: skip
    assert role_specs(instance, lambda _: "https://x/r.tar.gz") == [
        "indigo-dc.nfs,master",
        "https://x/r.tar.gz",
    ]
    assert role_specs(SimpleNamespace(), str) == []


def test_a_role_archive_is_fetched_and_installed_in_the_runs_folder(
    served: str, tmp_path: Path
) -> None:
    roles = install_roles([f"{served}/markrole.tar.gz"], sources(served), tmp_path)
    assert roles == tmp_path / "roles"
    assert (roles / "markrole" / "tasks" / "main.yml").read_text() == TASKS
    named = install_roles([f"{served}/markrole.tar.gz,cumulo_mark"], sources(served), tmp_path)
    assert (named / "cumulo_mark" / "meta" / "main.yml").is_file()
    assert install_roles([], sources(served), tmp_path / "none") is None


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("{served}/missing.tar.gz", "role {served}/missing.tar.gz: the server answered 404"),
        ("{served}/broken.tar.gz", "ansible-galaxy could not install it"),
        ("http://127.0.0.1:9/markrole.tar.gz", "not reachable: cumulo connects on a user's"),
        ("indigo-dc.nfs,master", "role indigo-dc.nfs,master: cumulo does not download roles "
                                 "from Ansible Galaxy"),
        ("git+https://github.com/indigo-dc/ansible-role-docker.git,master",
         "only http and https URLs are fetched"),
        ("../../etc", "not a Galaxy name"),
        ("{served}/markrole.tar.gz,../x", "is not a role name"),
    ],
)  # fmt: skip
def test_a_role_that_cannot_be_had_fails_naming_it(
    served: str, tmp_path: Path, spec: str, reason: str
) -> None:
    with pytest.raises(RoleError) as caught:
        install_roles([spec.format(served=served)], sources(served), tmp_path)
    assert str(caught.value).startswith(f"role {spec.format(served=served)}: ")
    assert reason.format(served=served) in str(caught.value)


def test_roles_from_the_network_need_network_playbooks(served: str, tmp_path: Path) -> None:
    with pytest.raises(RoleError, match="playbooks from the network are off"):
        install_roles([f"{served}/markrole.tar.gz"], sources(served, network=False), tmp_path)


def test_a_galaxy_role_an_admin_installed_in_a_playbook_folder_is_copied(
    served: str, tmp_path: Path
) -> None:
    admin = tmp_path / "playbooks"
    (admin / "roles" / "indigo-dc.nfs" / "tasks").mkdir(parents=True)
    (admin / "roles" / "indigo-dc.nfs" / "tasks" / "main.yml").write_text(TASKS)
    run = tmp_path / "run"
    run.mkdir()
    roles = install_roles(["indigo-dc.nfs,master"], sources(served, (admin,)), run)
    assert roles is not None
    assert (roles / "indigo-dc.nfs" / "tasks" / "main.yml").read_text() == TASKS

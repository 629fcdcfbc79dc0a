"""End to end: the real ``cumulo serve`` on the real Docker engine, driven by the CLI.

Deploys both catalogue services with ``cumulo deploy ... --wait``, reaches the
container over HTTP and the VM over SSH, then deletes them with ``cumulo rm
--wait`` and checks that no container of theirs is left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.e2e.e2e_helpers import serving

from cumulo import catalogue

pytestmark = pytest.mark.e2e

CUMULO = str(Path(sys.executable).with_name("cumulo"))
IMAGES = ("cumulo/httpd:1", "cumulo/vm-debian:12")


def _docker_ready() -> str | None:
    """Why the real engine cannot be used, or None when it can."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        return "no Docker engine reachable (docker info failed)"
    for image in IMAGES:
        found = subprocess.run(["docker", "image", "inspect", image], capture_output=True)
        if found.returncode != 0:
            return f"image {image} missing: run scripts/build-images.sh"
    return None


DATA_DIRS: dict[str, Path] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``cumulo serve`` on a fresh data directory; its URL."""
    reason = _docker_ready()
    if reason:
        pytest.skip(f"end-to-end CLI tests need the real Docker engine: {reason}")
    data = tmp_path_factory.mktemp("cumulo-data")
    with serving(data) as url:
        DATA_DIRS[url] = data
        yield url


def cli(url: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    # As a newcomer on the server's machine: no CUMULO_TOKEN, the CLI finds the
    # admin token the first start wrote to the data directory.
    env = {
        **os.environ,
        "CUMULO_URL": url,
        "COLUMNS": "200",
        "CUMULO_DATA_DIR": str(DATA_DIRS[url]),
    }
    env.pop("CUMULO_TOKEN", None)
    return subprocess.run([CUMULO, *args], env=env, capture_output=True, text=True, timeout=timeout)


def containers_of(uuid: str) -> list[str]:
    """Containers (running or not) with a label carrying the deployment's uuid."""
    out = subprocess.run(
        ["docker", "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Labels}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split()[0] for line in out.splitlines() if uuid in line]


def deploy(url: str, *args: str) -> dict:
    result = cli(url, "deploy", *args, "--wait", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    dep = json.loads(result.stdout)
    assert dep["status"] == "CREATE_COMPLETE"
    return dep


def remove(url: str, uuid: str) -> None:
    result = cli(url, "rm", uuid, "--wait")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{uuid} deleted" in result.stdout
    assert containers_of(uuid) == []
    shown = cli(url, "show", uuid)
    assert shown.returncode == 1 and "404" in shown.stderr


def test_run_docker_deploy_reach_show_rm(server: str) -> None:
    dep = deploy(
        server, "run-docker",
        "-p", "docker_image=cumulo/httpd", "-p", "docker_tag=1", "-p", "docker_ports=[8080]",
    )  # fmt: skip
    uuid = dep["uuid"]
    try:
        urls = [u for u in json.dumps(dep["outputs"]).split('"') if u.startswith("http://")]
        assert urls, dep["outputs"]
        response = httpx.get(urls[0], timeout=5)
        assert response.status_code == 200
        assert containers_of(uuid)

        shown = cli(server, "show", uuid)
        assert shown.returncode == 0, shown.stderr
        assert "CREATE_COMPLETE" in shown.stdout and urls[0] in shown.stdout

        listed = cli(server, "ls", "--json")
        assert uuid in [d["uuid"] for d in json.loads(listed.stdout)]

        from cumulo import catalogue

        template = cli(server, "template", uuid)
        assert template.stdout.strip() == catalogue.find("run-docker").read_text().strip()
        assert cli(server, "logs", uuid).returncode == 0
    finally:
        remove(server, uuid)


def test_vm_deploy_then_ssh_with_the_printed_command(server: str, tmp_path: Path) -> None:
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        pytest.fail("openssh-client is needed (scripts/setup.sh installs it)")
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    dep = deploy(server, "vm", "-p", f"ssh_public_key=@{key}.pub")
    uuid = dep["uuid"]
    try:
        shown = cli(server, "show", uuid)
        assert shown.returncode == 0, shown.stderr
        line = next(x for x in shown.stdout.splitlines() if "ssh -p" in x)
        command = line[line.index("ssh -p") :].split()
        ssh = [
            command[0], "-i", str(key), "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            *command[1:], "sudo", "-n", "id", "-u",
        ]  # fmt: skip
        result = subprocess.run(ssh, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "0"
    finally:
        remove(server, uuid)


def test_missing_image_fails_with_reason_and_leaves_nothing(server: str) -> None:
    result = cli(server, "deploy", "run-docker", "-p", "docker_image=cumulo/no-such-image",
                 "--wait")  # fmt: skip
    assert result.returncode == 1
    assert "CREATE_FAILED" in result.stderr
    assert "not found" in result.stderr
    uuid = result.stderr.split("deployment ", 1)[1].split()[0]
    assert containers_of(uuid) == []
    assert cli(server, "rm", uuid, "--wait").returncode == 0


def test_bad_template_and_missing_input_are_located(server: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "tosca_definitions_version: tosca_simple_yaml_1_3\n"
        "topology_template:\n"
        "  node_templates:\n"
        "    a:\n"
        "      type: tosca.nodes.Nope\n"
    )
    result = cli(server, "deploy", str(bad))
    assert result.returncode == 1
    assert f"{bad}:5:" in result.stderr and "tosca.nodes.Nope" in result.stderr
    assert "Traceback" not in result.stderr

    # No SSH key on the server and none given: say how to get one, before any request.
    result = cli(server, "deploy", "vm")
    assert result.returncode == 1
    assert "run `cumulo keys generate` or pass -p ssh_public_key=@FILE" in result.stderr

    # A catalogue service is named as the user typed it, never by where it is installed.
    result = cli(server, "deploy", "run-docker")
    assert result.returncode == 1
    assert "run-docker:" in result.stderr and "docker_image" in result.stderr
    assert str(catalogue.find("run-docker").parent) not in result.stderr


def test_logs_follow_ends_with_the_final_status(server: str) -> None:
    result = cli(server, "deploy", "run-docker", "-p", "docker_image=cumulo/httpd",
                 "-p", "docker_tag=1", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    uuid = json.loads(result.stdout)["uuid"]
    try:
        followed = cli(server, "logs", uuid, "-f", timeout=120)
        assert followed.returncode == 0, followed.stderr
        lines = followed.stdout.splitlines()
        assert "CREATE_COMPLETE" in lines[-1]
        assert len(lines) == len(set(lines))  # each line printed once
        assert followed.stdout == cli(server, "logs", uuid).stdout
    finally:
        remove(server, uuid)

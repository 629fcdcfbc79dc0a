"""The catalogue's local-site services end to end through the REST API: block
storage, docker-compose (the two-service example and a compose file of the user's)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from e2e_helpers import auth, containers_of, create_deployment, delete_and_wait_gone, wait_final

pytestmark = pytest.mark.e2e


def _docker_lines(*args: str) -> list[str]:
    out = subprocess.run(["docker", *args], capture_output=True, text=True, check=True)
    return out.stdout.split()


def _volumes_of(dep_id: str) -> list[str]:
    return _docker_lines("volume", "ls", "-q", "--filter", f"label=cumulo.deployment={dep_id}")


def _compose_leftovers(dep_id: str) -> list[str]:
    """Networks and volumes that compose made for the deployment's projects."""
    found = []
    for kind in ("network", "volume"):
        fmt = '{{.Name}} {{.Label "com.docker.compose.project"}}'
        listed = subprocess.run(
            ["docker", kind, "ls", "--filter", "label=com.docker.compose.project", "--format", fmt],
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()  # fmt: skip
        found += [line for line in listed if f"cumulo-{dep_id}" in line]
    return found


def _ssh(key: Path, port: int, user: str, command: str) -> subprocess.CompletedProcess:
    args = [
        "ssh", "-i", str(key), "-p", str(port), "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
        f"{user}@127.0.0.1", command,
    ]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def test_vm_with_block_storage(server: str, tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    params = {"ssh_public_key": key.with_suffix(".pub").read_text(), "mount_path": "/srv/data",
              "storage_size": "2 GB"}  # fmt: skip
    dep_id = create_deployment(server, "vm-storage", params)
    dep = wait_final(server, dep_id)
    assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
    out = dep["outputs"]
    assert out["storage_mount"] == "/srv/data" and out["storage_size"] == "2 GB"
    command = "echo hi | sudo tee /srv/data/f >/dev/null && grep -c ' /srv/data ' /proc/mounts"
    done = _ssh(key, out["ssh_port"], out["ssh_account"], command)
    assert done.returncode == 0 and done.stdout.strip() == "1", done.stderr
    assert len(_volumes_of(dep_id)) == 1
    resources = httpx.get(f"{server}/deployments/{dep_id}/resources", headers=auth(server)).json()[
        "content"
    ]
    assert {r["toscaNodeName"]: r["state"] for r in resources} == {
        "server": "CONFIGURED", "block_storage": "CONFIGURED"}  # fmt: skip
    delete_and_wait_gone(server, dep_id)
    assert containers_of(dep_id) == [] and _volumes_of(dep_id) == []


def test_compose_example_answers_and_is_removed_without_a_trace(server: str) -> None:
    dep_id = create_deployment(server, "compose-counter", {"app_title": "e2e counter"})
    dep = wait_final(server, dep_id)
    assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
    out = dep["outputs"]
    assert httpx.get(out["web_url"], timeout=5).text == "e2e counter: 1 visits\n"
    assert set(out["ports"]) == {"db", "web"}
    port = out["web_url"].rsplit(":", 1)[1]
    assert out["dns_endpoints"] == {"web": f"http://web.127.0.0.1.myip.localhost:{port}"}
    assert len(containers_of(dep_id)) == 2  # the web app and its database
    assert _compose_leftovers(dep_id)  # its network and volume, while it runs
    delete_and_wait_gone(server, dep_id)
    assert containers_of(dep_id) == [] and _compose_leftovers(dep_id) == []


def test_docker_compose_with_a_users_file_and_a_refused_one(server: str) -> None:
    mine = "services:\n  site:\n    image: cumulo/httpd:1\n    ports: ['${PORT}']\n"
    params = {"docker_compose_file_content": mine, "environment_variables": [{"PORT": "8080"}]}
    dep_id = create_deployment(server, "docker-compose", params)
    dep = wait_final(server, dep_id)
    assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
    assert httpx.get(dep["outputs"]["endpoints"]["site"], timeout=5).status_code == 200
    delete_and_wait_gone(server, dep_id)
    assert containers_of(dep_id) == []

    unsafe = "services:\n  x:\n    image: cumulo/httpd:1\n    privileged: true\n"
    dep_id = create_deployment(server, "docker-compose", {"docker_compose_file_content": unsafe})
    dep = wait_final(server, dep_id)
    assert dep["status"] == "CREATE_FAILED"
    assert "node compose_app[0]: compose file: services.x.privileged: privileged containers " \
        "are not allowed by the compose policy of site local" in dep["statusReason"]  # fmt: skip
    assert containers_of(dep_id) == []  # the host VM made before was removed too
    delete_and_wait_gone(server, dep_id)

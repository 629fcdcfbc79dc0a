"""End to end through the REST API: a real server, the real Docker engine, real HTTP and SSH."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from e2e_helpers import auth, containers_of, create_deployment, delete_and_wait_gone, wait_final

pytestmark = pytest.mark.e2e


def test_run_docker_serves_http_then_delete_leaves_nothing(server: str) -> None:
    dep_id = create_deployment(
        server,
        "run-docker",
        {"docker_image": "cumulo/httpd", "docker_tag": "1", "docker_ports": [8080]},
    )
    dep = wait_final(server, dep_id)
    assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
    assert dep["cloudProviderName"] == "local"
    endpoints = dep["outputs"]["endpoints"]
    urls = list(endpoints.values()) if isinstance(endpoints, dict) else list(endpoints)
    assert urls and all(str(u).startswith("http://127.0.0.1:") for u in urls), endpoints
    assert httpx.get(str(urls[0]), timeout=5).status_code == 200
    assert len(containers_of(dep_id)) == 1

    resources = httpx.get(f"{server}/deployments/{dep_id}/resources", headers=auth(server)).json()
    (res,) = resources["content"]
    assert res["toscaNodeName"] == "app" and res["state"] == "CONFIGURED" and res["physicalId"]
    log = httpx.get(f"{server}/deployments/{dep_id}/log", headers=auth(server)).text
    assert "CREATE_IN_PROGRESS -> CREATE_COMPLETE" in log and "app[0]" in log

    delete_and_wait_gone(server, dep_id)
    assert containers_of(dep_id) == []


def test_vm_accepts_ssh_with_the_users_key(server: str, tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    dep_id = create_deployment(
        server, "vm", {"ssh_public_key": key.with_suffix(".pub").read_text()}
    )
    dep = wait_final(server, dep_id)
    assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
    out = dep["outputs"]
    assert out["node_ip"] == "127.0.0.1"
    ssh = [
        "ssh", "-i", str(key), "-p", str(out["ssh_port"]),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
        f"{out['ssh_account']}@127.0.0.1", "id -un && sudo -n true && echo sudo-ok",
    ]  # fmt: skip
    result = subprocess.run(ssh, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [out["ssh_account"], "sudo-ok"]
    delete_and_wait_gone(server, dep_id)
    assert containers_of(dep_id) == []


def test_an_image_the_site_lacks_fails_the_deployment_and_leaves_nothing(server: str) -> None:
    dep_id = create_deployment(
        server, "run-docker", {"docker_image": "cumulo/no-such-image", "docker_tag": "404"}
    )
    dep = wait_final(server, dep_id)
    assert dep["status"] == "CREATE_FAILED"
    reason = dep["statusReason"]
    assert "app" in reason, reason
    assert "image" in reason and "not found on site local" in reason, reason
    assert containers_of(dep_id) == []
    (res,) = httpx.get(f"{server}/deployments/{dep_id}/resources", headers=auth(server)).json()[
        "content"
    ]
    assert res["state"] == "ERROR"
    delete_and_wait_gone(server, dep_id)


def test_a_delete_during_the_create_leaves_nothing(server: str, tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    dep_id = create_deployment(
        server, "vm", {"ssh_public_key": key.with_suffix(".pub").read_text()}
    )
    delete_and_wait_gone(server, dep_id)  # accepted while CREATE_IN_PROGRESS
    assert containers_of(dep_id) == []

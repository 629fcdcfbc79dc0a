"""A restart of a real Docker engine under a running VM and a Run docker deployment.

The engine is a second dockerd of the test's own (``own_dockerd.py``): the
machine's engine is shared with other tests and is never restarted. While it is
stopped the deployments say so; once it is back both serve again within 30 s
(the VM over SSH with the same key and its user's file, the application over
HTTP), from the same containers, and the status reason is clear.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_helpers import auth, create_deployment, cumulo_env, serving, wait_final
from own_dockerd import OwnDockerd, why_not

pytestmark = pytest.mark.e2e

IMAGES = ("cumulo/vm-debian:12", "cumulo/httpd:1")
APP = {"docker_image": "cumulo/httpd", "docker_tag": "1", "docker_ports": [8080]}
BACK_WITHIN = 30.0


@pytest.fixture(scope="module")
def own_engine() -> Iterator[OwnDockerd]:
    problem = why_not()
    if problem:
        pytest.skip(f"a Docker engine of the test's own cannot run here: {problem}")
    own = OwnDockerd()
    try:
        own.start()
        own.load(*IMAGES)
        yield own
    finally:
        own.remove()


@pytest.fixture(scope="module")
def server(
    own_engine: OwnDockerd, tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[str]:
    data = tmp_path_factory.mktemp("cumulo-restart")
    env = cumulo_env(module_database_url, docker_host=own_engine.endpoint, reconcile_seconds="5")
    with serving(data, "--workers", "2", env=env) as url:
        yield url


def deployment(url: str, dep_id: str) -> dict[str, Any]:
    return httpx.get(f"{url}/deployments/{dep_id}", headers=auth(url), timeout=10).json()


def states(url: str, dep_id: str) -> list[str]:
    got = httpx.get(f"{url}/deployments/{dep_id}/resources", headers=auth(url), timeout=10)
    return [r["state"] for r in got.json()["content"]]


def ssh(key: Path, outputs: dict[str, Any], command: str) -> subprocess.CompletedProcess:
    args = [
        "ssh", "-i", str(key), "-p", str(outputs["ssh_port"]),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
        f"{outputs['ssh_account']}@127.0.0.1", command,
    ]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, timeout=20)


def http_status(outputs: dict[str, Any]) -> int:
    endpoints = outputs["endpoints"]
    (url,) = endpoints.values() if isinstance(endpoints, dict) else endpoints
    try:
        return httpx.get(str(url), timeout=3).status_code
    except httpx.HTTPError:
        return 0


def serving_again(url: str, vm: str, app: str, key: Path) -> str | None:
    """What is not back yet, or None when both serve as before and say nothing more."""
    vm_dep, app_dep = deployment(url, vm), deployment(url, app)
    for dep in (vm_dep, app_dep):
        if dep.get("statusReason"):
            return f"{dep['uuid']}: {dep['statusReason']}"
    for dep_id in (vm, app):
        if states(url, dep_id) != ["CONFIGURED"]:
            return f"{dep_id}: {states(url, dep_id)}"
    if http_status(app_dep["outputs"]) != 200:
        return f"no HTTP 200 from {app_dep['outputs']['endpoints']}"
    done = ssh(key, vm_dep["outputs"], "cat ~/proof.txt")
    if done.returncode != 0 or done.stdout.strip() != "written before the restart":
        return f"ssh: {done.returncode} {done.stdout} {done.stderr}"
    return None


def test_both_deployments_serve_again_after_a_restart_of_their_engine(
    server: str, own_engine: OwnDockerd, tmp_path: Path
) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    vm = create_deployment(server, "vm", {"ssh_public_key": key.with_suffix(".pub").read_text()})
    app = create_deployment(server, "run-docker", APP)
    for dep_id in (vm, app):
        body = wait_final(server, dep_id, timeout=180)
        assert body["status"] == "CREATE_COMPLETE", body
    wrote = ssh(
        key, deployment(server, vm)["outputs"], "echo written before the restart > ~/proof.txt"
    )
    assert wrote.returncode == 0, wrote.stderr
    assert http_status(deployment(server, app)["outputs"]) == 200
    containers = own_engine.docker("ps", "-aq", "--no-trunc").stdout.split()
    assert len(containers) == 2
    policies = own_engine.docker("inspect", "--format", "{{.HostConfig.RestartPolicy.Name}}",
                                 *containers).stdout.split()  # fmt: skip
    assert policies == ["unless-stopped"] * 2

    own_engine.stop()  # as a reboot does: SIGTERM, the engine stops the containers and exits
    deadline = time.monotonic() + 60
    while True:  # the deployments say so while it is away
        reasons = {d: deployment(server, d).get("statusReason") or "" for d in (vm, app)}
        if all(r.startswith("node ") and " since " in r for r in reasons.values()):
            break
        assert time.monotonic() < deadline, reasons
        time.sleep(0.2)
    assert {deployment(server, d)["status"] for d in (vm, app)} == {"CREATE_COMPLETE"}
    assert "not seen since" in reasons[vm] or "down since" in reasons[vm], reasons

    own_engine.start()
    back = time.monotonic()
    while (missing := serving_again(server, vm, app, key)) is not None:
        assert time.monotonic() - back < BACK_WITHIN, f"not serving again: {missing}"
        time.sleep(0.25)
    print(f"while away: {reasons}; both serving {time.monotonic() - back:.1f} s after its return")
    assert sorted(own_engine.docker("ps", "-q", "--no-trunc").stdout.split()) == sorted(containers)
    assert len(own_engine.docker("ps", "-aq").stdout.split()) == 2  # nothing duplicated

    for dep_id in (vm, app):
        assert (
            httpx.delete(f"{server}/deployments/{dep_id}", headers=auth(server)).status_code == 204
        )
    deadline = time.monotonic() + 60
    while own_engine.docker("ps", "-aq").stdout.split():
        assert time.monotonic() < deadline, "the deployments' containers were not removed"
        time.sleep(0.2)

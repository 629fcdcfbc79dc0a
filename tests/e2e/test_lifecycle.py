"""Lifecycle end to end through the REST API: keepLastAttempt with a real SSH login into the
failed VM, callbacks (answered, failing, never answering), start/stop of a VM, the stream."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_helpers import (
    auth,
    catalogue_template,
    containers_of,
    cumulo_env,
    delete_and_wait_gone,
    serving,
    wait_final,
)

pytestmark = pytest.mark.e2e

VM_AND_BROKEN_APP = """
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - indigo_custom_types: https://cumulo.dev/tosca/indigo/custom_types.yaml
topology_template:
  inputs:
    ssh_public_key: { type: string }
  node_templates:
    server:
      type: tosca.nodes.indigo.Compute
      capabilities:
        os: { properties: { distribution: debian, version: 12 } }
    app:
      type: tosca.nodes.indigo.dockerRun
      requirements:
        - host: server
      properties:
        docker_image: cumulo/no-such-image
  outputs:
    ssh_port: { value: { get_attribute: [server, ssh_port] } }
    ssh_account: { value: { get_attribute: [server, ssh_account] } }
    node_creds: { value: { get_attribute: [server, endpoint, credential, 0] } }
"""


@pytest.fixture(scope="module")
def server(
    docker_ready: None, tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[str]:
    # The admin lets callbacks reach this machine: the receivers listen on 127.0.0.1.
    env = cumulo_env(
        module_database_url, callback_timeout_seconds="1", callback_tries="3",
        egress_allow="127.0.0.1",
    )  # fmt: skip
    with serving(tmp_path_factory.mktemp("lifecycle"), "--workers", "2", env=env) as url:
        yield url


class Receiver:
    """An HTTP server on 127.0.0.1 that records the JSON POSTed to it and answers ``code``."""

    def __init__(self, code: int = 200) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class BlackHole:
    """Accepts connections and never answers: a callback URL that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def close(self) -> None:
        self.sock.close()


def _post(url: str, template: str, parameters: dict[str, Any], **extra: Any) -> str:
    body = {"template": template, "parameters": parameters, **extra}
    r = httpx.post(f"{url}/deployments", headers=auth(url), json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["uuid"]


def _ssh(key: Path, out: dict[str, Any], command: str) -> subprocess.CompletedProcess:
    ssh = [
        "ssh", "-i", str(key), "-p", str(out["ssh_port"]),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
        f"{out['ssh_account']}@127.0.0.1", command,
    ]  # fmt: skip
    return subprocess.run(ssh, capture_output=True, text=True, timeout=30)


def test_keep_last_attempt_lets_the_user_log_into_the_failed_vm(
    server: str, tmp_path: Path
) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    params = {"ssh_public_key": key.with_suffix(".pub").read_text()}
    dep_id = _post(server, VM_AND_BROKEN_APP, params, keepLastAttempt=True)
    try:
        dep = wait_final(server, dep_id)
        assert dep["status"] == "CREATE_FAILED"
        assert "no-such-image" in dep["statusReason"]
        out = dep["outputs"]
        assert out["ssh_port"] and out["ssh_account"], out
        result = _ssh(key, out, "id -un")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == out["ssh_account"]
        states = {
            r["toscaNodeName"]: r["state"]
            for r in httpx.get(
                f"{server}/deployments/{dep_id}/resources", headers=auth(server)
            ).json()["content"]
        }
        assert states == {"server": "CONFIGURED", "app": "ERROR"}
        assert len(containers_of(dep_id)) == 1  # the VM, kept
        info = httpx.get(f"{server}/deployments/{dep_id}/extrainfo", headers=auth(server)).json()
        assert [i["toscaNodeName"] for i in info] == ["server"]
    finally:
        delete_and_wait_gone(server, dep_id)
    assert containers_of(dep_id) == []


def test_callbacks_are_delivered_and_a_hanging_one_blocks_nothing(server: str) -> None:
    good, failing, hole = Receiver(), Receiver(code=500), BlackHole()
    template = catalogue_template("run-docker")
    params = {"docker_image": "cumulo/httpd", "docker_tag": "1"}
    ids = []
    try:
        started = time.monotonic()
        for target in (hole, failing, good):
            ids.append(_post(server, template, params, callback=target.url))
        for dep_id in ids:
            assert wait_final(server, dep_id)["status"] == "CREATE_COMPLETE"
        # A hanging callback (1 s timeout, 3 tries) does not hold the others up, nor the delete.
        delete_and_wait_gone(server, ids[0])
        assert time.monotonic() - started < 60
        _wait(lambda: len(good.bodies) == 1, "the callback")
        (body,) = good.bodies
        assert body["uuid"] == ids[2] and body["status"] == "CREATE_COMPLETE"
        assert any(link["href"].startswith("http") for link in body["links"])
        # The failing URL was tried 3 times with back-off, then given up, and the log says so.
        _wait(lambda: "not delivered after 3 tries" in _log(server, ids[1]), "the give-up event")
        assert len(failing.bodies) == 3
        delete_and_wait_gone(server, ids[2])
        _wait(lambda: [b["status"] for b in good.bodies][-1:] == ["DELETE_COMPLETE"], "delete")
    finally:
        for dep_id in ids:
            if httpx.get(f"{server}/deployments/{dep_id}", headers=auth(server)).status_code != 404:
                delete_and_wait_gone(server, dep_id)
        for target in (good, failing, hole):
            target.close()


def test_stop_and_start_a_vm(server: str, tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    params = {"ssh_public_key": key.with_suffix(".pub").read_text()}
    dep_id = _post(server, catalogue_template("vm"), params)
    try:
        assert wait_final(server, dep_id)["status"] == "CREATE_COMPLETE"
        (vm,) = httpx.get(f"{server}/deployments/{dep_id}/resources", headers=auth(server)).json()[
            "content"
        ]
        url = f"{server}/deployments/{dep_id}/resources/{vm['uuid']}"
        assert (
            httpx.post(f"{url}/actions", headers=auth(url), json={"type": "stop"}).status_code
            == 202
        )
        _wait(lambda: httpx.get(url, headers=auth(url)).json()["state"] == "STOPPED", "STOPPED")
        assert _running(vm["physicalId"]) == "false"
        assert (
            httpx.post(f"{url}/actions", headers=auth(url), json={"type": "start"}).status_code
            == 202
        )
        _wait(lambda: httpx.get(url, headers=auth(url)).json()["state"] == "STARTED", "STARTED")
        assert _running(vm["physicalId"]) == "true"
        log = _log(server, dep_id)
        assert "CONFIGURED -> STOPPING" in log and "STARTING -> STARTED" in log
    finally:
        delete_and_wait_gone(server, dep_id)
    assert containers_of(dep_id) == []


def test_the_stream_follows_a_create_live_to_its_end(server: str) -> None:
    params = {"docker_image": "cumulo/httpd", "docker_tag": "1", "docker_ports": [8080]}
    dep_id = _post(server, catalogue_template("run-docker"), params)
    try:
        events: list[tuple[str, dict[str, Any]]] = []
        stream_url = f"{server}/deployments/{dep_id}/stream"
        with httpx.stream("GET", stream_url, headers=auth(server), timeout=60) as r:
            kind = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.append((kind or "", json.loads(line[6:])))
        assert events[-1] == ("end", {"status": "CREATE_COMPLETE"})
        lines = [d["line"] for k, d in events if k != "end"]
        assert lines == _log(server, dep_id).splitlines()
        assert any("CONFIGURING -> CONFIGURED" in line for line in lines)
    finally:
        delete_and_wait_gone(server, dep_id)


def _log(server: str, dep_id: str) -> str:
    return httpx.get(f"{server}/deployments/{dep_id}/log", headers=auth(server), timeout=10).text


def _running(physical_id: str) -> str:
    out = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Running}}", physical_id],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def _wait(check: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)

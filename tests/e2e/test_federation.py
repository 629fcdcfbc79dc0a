"""The federation end to end: a real ``cumulo serve`` with several local Docker sites.

Three public sites (the first on an engine URL that is down, the second in
maintenance, the third on the real engine reached through a ``tcp://`` URL):
a deployment lands on the third with the first failure recorded. Two sites
of a group's SLAs: the SLA's instance limit sends the second deployment to the
lower-priority site. The CLI's ``sites`` commands and ``deploy --dry-run``
against the same server.
"""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from e2e_helpers import (
    CUMULO,
    auth,
    catalogue_template,
    containers_of,
    delete_and_wait_gone,
    free_port,
    serving,
    wait_final,
)

pytestmark = pytest.mark.e2e

PARAMS = {"docker_image": "cumulo/httpd", "docker_tag": "1"}


DOCKER_SOCKET = "/var/run/docker.sock"


class _Forward(socketserver.BaseRequestHandler):
    """Relay one TCP connection to the Docker engine's unix socket, both ways."""

    def handle(self) -> None:
        with socket.socket(socket.AF_UNIX) as engine:
            engine.connect(DOCKER_SOCKET)
            pipes = [
                threading.Thread(target=_pump, args=(self.request, engine), daemon=True),
                threading.Thread(target=_pump, args=(engine, self.request), daemon=True),
            ]
            for p in pipes:
                p.start()
            for p in pipes:
                p.join()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def engine_over_tcp() -> Iterator[str]:
    """The local Docker engine also reachable at a tcp:// URL (a second engine's address)."""
    if not os.access(DOCKER_SOCKET, os.W_OK):
        pytest.skip(f"needs the Docker socket at {DOCKER_SOCKET}")
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Forward)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def registry(down_port: int, tcp_engine: str) -> dict:
    return {
        "sites": [
            {"name": "fed-a", "endpoint": f"tcp://127.0.0.1:{down_port}", "public": True},
            {"name": "fed-b", "public": True, "status": "maintenance"},
            {"name": "fed-c", "public": True, "credentials": "env:FED_C_SECRET",
             "endpoint": tcp_engine},
            {"name": "fed-q1"},
            {"name": "fed-q2"},
        ],
        "slas": [
            {"id": "q-high", "group": "physics", "site": "fed-q1", "priority": 10,
             "limits": {"instances": 1}},
            {"id": "q-low", "group": "physics", "site": "fed-q2", "priority": 1},
        ],
    }  # fmt: skip


@pytest.fixture(scope="module")
def fed_server(
    docker_ready: None, engine_over_tcp: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    data = tmp_path_factory.mktemp("cumulo-fed")
    sites_file = data / "sites.yaml"
    sites_file.write_text(yaml.safe_dump(registry(free_port(), engine_over_tcp)))
    # No periodic probe: the down engine must be found by an attempt, not skipped.
    saved = os.environ.get("CUMULO_HEALTH_PROBE_SECONDS")
    os.environ["CUMULO_HEALTH_PROBE_SECONDS"] = "0"
    try:
        with serving(data, "--workers", "2", "--sites-file", str(sites_file)) as url:
            yield url
    finally:
        if saved is None:
            os.environ.pop("CUMULO_HEALTH_PROBE_SECONDS", None)
        else:
            os.environ["CUMULO_HEALTH_PROBE_SECONDS"] = saved


def post(url: str, **body: object) -> str:
    body = {"template": catalogue_template("run-docker"), "parameters": PARAMS, **body}
    r = httpx.post(f"{url}/deployments", headers=auth(url), json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["uuid"]


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    token = auth(url)["Authorization"].removeprefix("Bearer ")
    env = {**os.environ, "CUMULO_URL": url, "COLUMNS": "200", "CUMULO_TOKEN": token}
    return subprocess.run([CUMULO, *args], capture_output=True, text=True, env=env, timeout=60)


def test_fallback_lands_on_the_third_site_with_the_failure_recorded(fed_server: str) -> None:
    dep_id = post(fed_server)
    try:
        dep = wait_final(fed_server, dep_id)
        assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
        assert dep["cloudProviderName"] == "fed-c"
        assert dep["cloudProviderEndpoint"]["cpEndpoint"].startswith("tcp://127.0.0.1:")
        labels = subprocess.run(
            ["docker", "inspect", "-f", '{{index .Config.Labels "cumulo.site"}}',
             *containers_of(dep_id)], capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        assert labels == ["fed-c"]
        sched = httpx.get(
            f"{fed_server}/deployments/{dep_id}/scheduling", headers=auth(fed_server)
        ).json()
        why = {c["site"]: c for c in sched["candidates"]}
        assert why["fed-b"]["reason"] == "site status is maintenance"
        assert sched["ranked"][:2] == ["fed-a", "fed-c"]
        log = httpx.get(f"{fed_server}/deployments/{dep_id}/log", headers=auth(fed_server)).text
        assert "attempt failed on site fed-a: site fed-a is unreachable" in log
        assert "attempt 2 on site fed-c" in log
        metrics = httpx.get(f"{fed_server}/metrics", headers=auth(fed_server)).text.splitlines()
        assert 'cumulo_attempts_total{site="fed-a",outcome="failed"} 1' in metrics
        assert 'cumulo_attempts_total{site="fed-c",outcome="succeeded"} 1' in metrics
    finally:
        delete_and_wait_gone(fed_server, dep_id)
    assert containers_of(dep_id) == []


def test_every_site_failing_lists_every_error(fed_server: str) -> None:
    dep_id = post(
        fed_server, parameters={"docker_image": "cumulo/no-such-image", "docker_tag": "0"}
    )
    try:
        dep = wait_final(fed_server, dep_id)
        assert dep["status"] == "CREATE_FAILED"
        reason = dep["statusReason"]
        assert reason.startswith("Retries on cloud providers exhausted. Error list is: ")
        assert "site fed-a: site fed-a is unreachable" in reason
        assert "site fed-c: node app[0]: image cumulo/no-such-image:0 not found" in reason
        assert "site local: node app[0]: image cumulo/no-such-image:0 not found" in reason
    finally:
        delete_and_wait_gone(fed_server, dep_id)
    assert containers_of(dep_id) == []


def test_an_sla_limit_sends_the_next_deployment_to_the_next_site(fed_server: str) -> None:
    first = post(fed_server, userGroup="physics")
    second = None
    try:
        assert wait_final(fed_server, first)["cloudProviderName"] == "fed-q1"
        second = post(fed_server, userGroup="physics")
        dep = wait_final(fed_server, second)
        assert dep["status"] == "CREATE_COMPLETE" and dep["cloudProviderName"] == "fed-q2"
        sched = httpx.get(
            f"{fed_server}/deployments/{second}/scheduling", headers=auth(fed_server)
        ).json()
        why = {c["site"]: c["reason"] for c in sched["candidates"]}
        assert why == {
            "fed-q1": "SLA q-high limit reached: instances: 1 used + 1 asked > 1",
            "fed-q2": why["fed-q2"],
        }
        assert why["fed-q2"].startswith("usable: SLA q-low, priority 1")
        usage = httpx.get(f"{fed_server}/sites/fed-q1", headers=auth(fed_server)).json()["usage"]
        assert usage["instances"] == 1
        # The manual choice of a full site is refused with the reason.
        r = httpx.post(f"{fed_server}/deployments", headers=auth(fed_server), json={
            "template": catalogue_template("run-docker"), "parameters": PARAMS,
            "userGroup": "physics", "site": "fed-q1"}, timeout=30)  # fmt: skip
        assert r.status_code == 400
        assert r.json()["message"] == (
            "placement: the chosen site fed-q1 cannot take this deployment: "
            "SLA q-high limit reached: instances: 1 used + 1 asked > 1"
        )
    finally:
        for dep_id in (first, second):
            if dep_id:
                delete_and_wait_gone(fed_server, dep_id)
                assert containers_of(dep_id) == []


def test_cli_sites_and_dry_run(fed_server: str, tmp_path: Path) -> None:
    ls = cli(fed_server, "sites", "ls")
    assert ls.returncode == 0, ls.stderr
    for name in ("fed-a", "fed-b", "fed-c", "fed-q1", "fed-q2", "local"):
        assert name in ls.stdout
    assert "FED_C_SECRET" not in cli(fed_server, "sites", "show", "fed-c").stdout

    down = cli(fed_server, "sites", "probe", "fed-a")
    assert down.returncode == 1 and "fed-a: down: " in down.stdout
    up = cli(fed_server, "sites", "probe", "fed-c")
    assert up.returncode == 0 and "fed-c: up (" in up.stdout

    dry = cli(fed_server, "deploy", "run-docker", "-p", "docker_image=cumulo/httpd", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "fed-a  failing its health probe: " in dry.stdout  # the probe just made it down
    assert "fed-b  site status is maintenance" in dry.stdout
    assert "would try: " in dry.stdout
    assert (
        httpx.get(f"{fed_server}/deployments", headers=auth(fed_server)).json()["page"][
            "totalElements"
        ]
        == 0
    )

    none = cli(
        fed_server, "deploy", "run-docker", "-p", "docker_image=x", "--dry-run", "-g", "chem"
    )
    assert none.returncode == 1
    assert "no site is open to group chem" in none.stderr

    site_file = tmp_path / "site.yaml"
    site_file.write_text("name: fed-x\nkind: docker\npublic: true\nstatus: limited\n")
    added = cli(fed_server, "sites", "add", str(site_file))
    assert added.returncode == 0 and "fed-x  limited" in added.stdout, added.stderr
    again = cli(fed_server, "sites", "add", str(site_file))
    assert again.returncode == 1 and "409" in again.stderr
    assert cli(fed_server, "sites", "rm", "fed-x").returncode == 0
    assert "fed-x" not in cli(fed_server, "sites", "ls").stdout


def test_a_bad_registry_file_stops_serve_naming_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "sites.yaml"
    bad.write_text(
        "sites:\n  - name: ok\n  - name: bad\n    flavors: [{name: f, vcpus: 0, ram: 1}]\n"
    )
    r = subprocess.run(
        [CUMULO, "serve", "--data-dir", str(tmp_path), "--sites-file", str(bad), "--port", "1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2
    assert f"{bad}: sites.1.flavors.0.vcpus: Input should be greater than 0" in r.stderr

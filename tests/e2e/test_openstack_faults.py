"""Faults of a REAL cloud (the test cloud, ``scripts/test-cloud up``) seen through cumulo.

- Nova unreachable mid-create: the site ``flaky-cloud`` is the test cloud with its
  compute endpoint overridden (``compute_endpoint_override`` in a test-local clouds.yaml)
  to a TCP relay on 127.0.0.1 (``FlakyNova``). Armed, the relay lets the next server create
  reach Nova (the server IS made), drops Nova's answer, then resets every connection for a
  while. Away 2.5 s: the call's back-off bridges it. Away 12 s (past the call's retries):
  the attempt waits for the site, then resumes. Both times ``create`` finds the server it
  made by its tag: exactly one server. Away until the attempt's deadline: the attempt fails
  naming the site and the unreachable API, and the cleanup (retried the same way; the
  relay comes back meanwhile) leaves nothing on the cloud, the lost create's server included.
- Quota exceeded: the site ``tiny-cloud`` is a project made here with a quota of one
  instance; two instances fail the attempt with Nova's own message and leave nothing.

What a failed test leaves is removed by deployment tag as the admin (``purge``).
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from e2e_helpers import auth, cumulo_env, delete_and_wait_gone, serving
from test_openstack import (
    CLOUDS_YAML,
    INDIGO,
    TC,
    TYPES_URL,
    cloud,
    deploy,
    final,
    indigo_vm,
    left_on_cloud,
    purge,
)

pytestmark = [
    pytest.mark.openstack,
    pytest.mark.skipif(not CLOUDS_YAML.exists(), reason="run scripts/test-cloud up"),
    pytest.mark.skipif(not INDIGO.exists(), reason=f"{INDIGO} (the INDIGO corpus) is absent"),
]

NOVA = ("127.0.0.1", 8774)
CREATE = re.compile(rb"^POST /v2\.1/servers HTTP/", re.MULTILINE)


class FlakyNova:
    """A TCP relay to Nova that, once armed, loses the answer to the next server create
    and then drops (resets) every connection for ``down_for`` seconds."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.down_for: float | None = None
        self.down_until = 0.0
        self.creates = 0  # server creates that reached Nova
        self.dropped = 0  # connections reset while down
        self.open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, down_for: float) -> None:
        with self.lock:
            self.down_for, self.creates, self.dropped = down_for, 0, 0

    def up(self) -> None:
        """The outage ends now."""
        with self.lock:
            self.down_until = 0.0

    def close(self) -> None:
        self.listener.close()
        for sock in list(self.open):
            _reset(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                down = time.monotonic() < self.down_until
                self.dropped += down
            if down:
                _reset(client)
                continue
            nova = socket.create_connection(NOVA)
            lose = threading.Event()
            with self.lock:
                self.open |= {client, nova}
            for args in ((client, nova, lose, True), (nova, client, lose, False)):
                threading.Thread(target=self._pump, args=args, daemon=True).start()

    def _pump(
        self, src: socket.socket, dst: socket.socket, lose: threading.Event, up: bool
    ) -> None:
        try:
            while data := src.recv(65536):
                if up and CREATE.search(data):
                    with self.lock:
                        self.creates += 1
                        if self.down_for is not None:
                            lose.set()
                elif not up and lose.is_set():
                    self._go_down()  # Nova made the server; its answer is lost
                    return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                _reset(sock)

    def _go_down(self) -> None:
        with self.lock:
            seconds, self.down_for = self.down_for or 0, None
        self.down(seconds)

    def down(self, seconds: float) -> None:
        """Nova is away from now on for ``seconds``: open connections are reset."""
        with self.lock:
            self.down_until = time.monotonic() + seconds
            victims, self.open = list(self.open), set()
        for sock in victims:
            _reset(sock)


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture(scope="module")
def admin() -> Iterator[Any]:
    conn = cloud("cumulo-test-admin")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def tiny_project(admin: Any) -> Iterator[str]:
    """A project of the user cumulo with a quota of one instance and its own network."""
    name = f"cumulo-faults-{uuid.uuid4().hex[:8]}"
    project = admin.identity.create_project(name=name, domain_id="default")
    user = admin.identity.find_user("cumulo", domain_id="default")
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("member"))
    admin.set_compute_quotas(project.id, instances=1)
    network = admin.network.create_network(name=f"{name}-net", project_id=project.id)
    admin.network.create_subnet(network_id=network.id, project_id=project.id, ip_version=4,
                                cidr="10.20.0.0/24", name=f"{name}-subnet")  # fmt: skip
    try:
        yield name
    finally:
        for port in admin.network.ports(network_id=network.id):
            admin.network.delete_port(port, ignore_missing=True)
        admin.network.delete_network(network, ignore_missing=True)
        for group in admin.network.security_groups(project_id=project.id):
            admin.network.delete_security_group(group, ignore_missing=True)
        admin.identity.delete_project(project, ignore_missing=True)


MINE: list[str] = []  # this module's deployments


@pytest.fixture(scope="module")
def nova_relay() -> Iterator[FlakyNova]:
    relay = FlakyNova()
    yield relay
    relay.close()


@contextmanager
def relayed_and_tiny(
    data: Path,
    admin: Any,
    tiny_project: str,
    relay: FlakyNova,
    relayed: dict[str, Any],
    tiny: dict[str, Any],
    mine: list[str],
) -> Iterator[str]:
    """cumulo serving two sites of the test cloud: ``relayed`` (its own project, Nova
    through ``relay``) and ``tiny`` (``tiny_project``); the dicts give each site's name
    and what else differs (e.g. status). ``mine``'s deployments are purged at the end."""
    clouds = yaml.safe_load(CLOUDS_YAML.read_text())["clouds"]
    own = clouds["cumulo-test"]
    clouds_file = data / "clouds.yaml"
    clouds_file.touch(mode=0o600)
    clouds_file.write_text(yaml.safe_dump({"clouds": {
        "relayed": {**own, "compute_endpoint_override": f"http://127.0.0.1:{relay.port}/v2.1"},
        "tiny": {**own, "auth": {**own["auth"], "project_name": tiny_project}},
    }}))  # fmt: skip
    (site,) = yaml.safe_load((TC / "sites.yaml").read_text())["sites"]
    sites = [
        {**site, "credentials": "clouds:relayed",
         "options": {**site["options"], "clouds_yaml": str(clouds_file)}, **relayed},
        {**site, "credentials": "clouds:tiny",
         "options": {"clouds_yaml": str(clouds_file), "network": f"{tiny_project}-net"}, **tiny},
        {"name": "local", "kind": "docker", "status": "maintenance"},
    ]  # fmt: skip
    sites_file = data / "sites.yaml"
    sites_file.write_text(yaml.safe_dump({"sites": sites}))
    env = cumulo_env(import_map=f"{TYPES_URL}={INDIGO / 'tosca-types'}/",
                     health_probe_seconds="0")  # fmt: skip
    try:
        with serving(data, "--workers", "2", "--sites-file", str(sites_file), env=env) as url:
            yield url
    finally:
        for dep_id in mine:
            purge(admin, dep_id)


@pytest.fixture(scope="module")
def server(
    admin: Any, tiny_project: str, nova_relay: FlakyNova, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """cumulo with ``flaky-cloud`` (Nova through the relay) and ``tiny-cloud`` (quota 1)."""
    data = tmp_path_factory.mktemp("cumulo-openstack-faults")
    with relayed_and_tiny(data, admin, tiny_project, nova_relay, {"name": "flaky-cloud"},
                          {"name": "tiny-cloud"}, MINE) as url:  # fmt: skip
        yield url


def deploy_on(url: str, site: str, template: str, **extra: Any) -> str:
    MINE.append(deploy(url, template, {}, site=site, **extra))
    return MINE[-1]


def log_of(url: str, dep_id: str) -> str:
    r = httpx.get(f"{url}/deployments/{dep_id}/log", headers=auth(url), timeout=10)
    assert r.status_code == 200, r.text
    return r.text


def wait_in_log(url: str, dep_id: str, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log_of(url, dep_id):
        if time.monotonic() > deadline:
            pytest.fail(f"{text!r} not in the log of {dep_id} after {timeout} s")
        time.sleep(0.2)


def one_active_server_then_delete(url: str, admin: Any, dep_id: str) -> None:
    """Exactly one server (the one whose create answer was lost); delete leaves nothing."""
    (vm,) = admin.compute.servers(all_projects=True, tags=f"cumulo-d-{dep_id}")
    assert vm.status == "ACTIVE"
    delete_and_wait_gone(url, dep_id, timeout=180)
    assert not any(left_on_cloud(admin, dep_id).values())


def test_nova_away_within_the_retries_mid_create_makes_one_server(
    server: str, admin: Any, nova_relay: FlakyNova
) -> None:
    nova_relay.arm(down_for=2.5)  # within the call's back-off (0.5 + 1 + 2 s)
    dep_id = deploy_on(server, "flaky-cloud", indigo_vm())
    body = final(server, dep_id)
    assert body["status"] == "CREATE_COMPLETE", body["statusReason"]
    assert nova_relay.creates == 1 and nova_relay.dropped >= 1, vars(nova_relay)
    assert "does not answer" not in log_of(server, dep_id)  # the call's retries hid it
    one_active_server_then_delete(server, admin, dep_id)


def test_nova_away_past_the_retries_is_waited_for_and_makes_one_server(
    server: str, admin: Any, nova_relay: FlakyNova
) -> None:
    nova_relay.arm(down_for=12)  # past the call's retries (7.5 s), within the deadline
    dep_id = deploy_on(server, "flaky-cloud", indigo_vm())
    body = final(server, dep_id)
    assert body["status"] == "CREATE_COMPLETE", body["statusReason"]
    assert nova_relay.creates == 1 and nova_relay.dropped >= 5, vars(nova_relay)
    log = log_of(server, dep_id)
    assert "site flaky-cloud does not answer: waiting for it" in log, log
    assert "site flaky-cloud answers again: resuming" in log, log
    one_active_server_then_delete(server, admin, dep_id)


def test_nova_away_until_the_deadline_fails_the_attempt_and_leaves_nothing(
    server: str, admin: Any, nova_relay: FlakyNova
) -> None:
    nova_relay.arm(down_for=float("inf"))
    dep_id = deploy_on(server, "flaky-cloud", indigo_vm(), providerTimeoutMins=1)
    # back while the cleanup retries, so it can remove what the attempt made
    wait_in_log(server, dep_id, "attempt failed on site flaky-cloud", timeout=120)
    nova_relay.up()
    body = final(server, dep_id)
    assert body["status"] == "CREATE_FAILED"
    reason = body["statusReason"]
    assert "the API of site flaky-cloud is unreachable" in reason, reason
    assert "cleanup of the failed attempt failed" not in reason, reason
    assert nova_relay.creates == 1, vars(nova_relay)
    assert "removed 4 resource(s) of the failed attempt" in log_of(server, dep_id)
    assert not any(left_on_cloud(admin, dep_id).values())  # the server Nova made, too


def test_quota_exceeded_fails_with_the_clouds_message_and_leaves_nothing(
    server: str, admin: Any
) -> None:
    two = indigo_vm().replace("count: 1", "count: 2").replace("PUBLIC", "PRIVATE")
    dep_id = deploy_on(server, "tiny-cloud", two)
    body = final(server, dep_id)
    assert body["status"] == "CREATE_FAILED"
    reason = body["statusReason"]
    quota = "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances"
    assert f"site tiny-cloud: {quota}" in reason, reason
    assert not any(left_on_cloud(admin, dep_id).values())

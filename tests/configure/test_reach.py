"""How cumulo reaches a node over SSH: the address the driver reports (the local site's
127.0.0.1 and published port, a cloud's floating IP on 22), a site's jump host, and
whether SSH answers there yet."""

from __future__ import annotations

import shlex
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cumulo.configure.reach import (
    Route,
    Unreachable,
    jump_host,
    jump_probe_command,
    route_to,
    ssh_answers,
)
from cumulo.configure.variables import connection_vars, system_tool

LOCAL = {"public_address": ["127.0.0.1"], "private_address": ["172.18.0.5"],
         "ssh_port": 32768, "ssh_account": "alice"}  # fmt: skip
CLOUD = {"public_address": ["203.0.113.17"], "private_address": ["10.10.0.5"],
         "ssh_port": 22, "ssh_account": "alice"}  # fmt: skip


def test_the_local_site_is_reached_at_127_0_0_1_on_its_published_port() -> None:
    assert route_to("app", "vm", LOCAL, {}) == Route("127.0.0.1", 32768, "alice")


def test_a_cloud_server_is_reached_at_its_floating_ip_or_else_its_private_address() -> None:
    assert route_to("app", "vm", CLOUD, {}) == Route("203.0.113.17", 22, "alice")
    private_only = {**CLOUD, "public_address": ["10.10.0.5"]}  # no floating IP
    assert route_to("app", "vm", private_only, {}).host == "10.10.0.5"
    no_port = {k: v for k, v in CLOUD.items() if k != "ssh_port"}
    assert route_to("app", "vm", no_port, {}).port == 22  # SSH's own port by default
    as_text = {**CLOUD, "public_address": "203.0.113.17", "ssh_port": "2222"}
    assert route_to("app", "vm", as_text, {}) == Route("203.0.113.17", 2222, "alice")


def test_through_a_jump_host_the_private_address_is_used() -> None:
    options = {"ssh_jump_host": "bastion@jump.example.org:2222"}
    route = route_to("app", "vm", CLOUD, options, "cloud-bari")
    assert route == Route("10.10.0.5", 22, "alice", "bastion@jump.example.org:2222")
    assert route.text() == "10.10.0.5:22 through bastion@jump.example.org:2222"


@pytest.mark.parametrize(
    "value",
    ["-oProxyCommand=touch /tmp/x", "jump host", "a@b@c", "user@host:99999", "host;id",
     "user@-host", "host:22 -o X=y", 22, ["host"], "Root@host"],
)  # fmt: skip
def test_only_a_plain_jump_host_is_accepted(value: object) -> None:
    with pytest.raises(Unreachable, match=r"site s: options.ssh_jump_host .* is not"):
        jump_host({"ssh_jump_host": value}, "s")


@pytest.mark.parametrize("value", ["jump", "jump.example.org", "u@10.0.0.1:22", "u_1@[fd00::1]"])
def test_plain_jump_hosts(value: str) -> None:
    assert jump_host({"ssh_jump_host": value}) == value
    assert jump_host({}) is None


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ({**LOCAL, "ssh_port": None}, "its host vm has no SSH port"),  # never this machine's 22
        ({**LOCAL, "ssh_account": None}, "has no SSH account or address"),
        ({**CLOUD, "public_address": ["-oProxyCommand=x"], "private_address": []},
         "has no SSH account or address"),  # only IP addresses are taken
        ({**CLOUD, "ssh_port": "ssh"}, "invalid SSH port 'ssh'"),
    ],
)  # fmt: skip
def test_hosts_that_cannot_be_reached_say_why(attributes: dict, reason: str) -> None:
    with pytest.raises(Unreachable, match=reason):
        route_to("app", "vm", attributes, {})


def test_the_jump_host_reaches_ansibles_ssh_and_wins_over_no_proxy(tmp_path: Path) -> None:
    """ssh keeps the first of ProxyCommand and ProxyJump: with a jump host, 'none' is left out."""
    direct = connection_vars("10.10.0.5", 22, "alice", tmp_path / "k", tmp_path / "cp")
    jumped = connection_vars("10.10.0.5", 22, "alice", tmp_path / "k", tmp_path / "cp",
                             "bastion@jump.example.org:2222")  # fmt: skip
    assert jumped["ansible_ssh_common_args"] == "-o ProxyJump=bastion@jump.example.org:2222"
    assert direct["ansible_ssh_common_args"] == ""
    assert "ProxyCommand=none" in direct["ansible_ssh_args"]

    def effective(pinned: dict) -> str:  # what ssh makes of the options, in Ansible's order
        args = shlex.split(pinned["ansible_ssh_args"]) + shlex.split(
            pinned["ansible_ssh_common_args"]
        )
        command = [system_tool("ssh"), "-G", *args, "-p", "22", "alice@10.10.0.5"]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    assert "proxyjump bastion@jump.example.org:2222" in effective(jumped)
    assert "proxyjump" not in effective(direct) and "proxycommand" not in effective(direct)


def test_the_probe_through_a_jump_host_forwards_to_the_nodes_ssh_port() -> None:
    route = Route("10.10.0.5", 22, "alice", "bastion@jump.example.org:2222")
    command = jump_probe_command(route, 3)
    assert command[0].startswith("/") and command[1:3] == ["-F", "/dev/null"]
    assert command[-3:] == ["-W", "10.10.0.5:22", "ssh://bastion@jump.example.org:2222"]
    assert "BatchMode=yes" in command and "ConnectTimeout=3" in command
    six = jump_probe_command(Route("fd00::5", 22, "alice", "jump"), 3)
    assert six[-2:] == ["[fd00::5]:22", "ssh://jump"]


@pytest.fixture
def greeter() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on 127.0.0.1 that greets each connection with the next line given."""
    lines: list[bytes] = []
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(lines.pop(0) if lines else b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1], lines
    stop.set()
    thread.join()
    sock.close()


def test_ssh_answers_only_when_an_ssh_server_greets(greeter: tuple[int, list[bytes]]) -> None:
    port, lines = greeter
    lines += [b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n", b"HTTP/1.1 400 Bad Request\r\n"]
    assert ssh_answers(Route("127.0.0.1", port, "alice"), 2) is None
    assert ssh_answers(Route("127.0.0.1", port, "alice"), 2) == (
        "the port answers but not with an SSH greeting"
    )
    free = socket.create_server(("127.0.0.1", 0))
    closed_port = free.getsockname()[1]
    free.close()
    assert ssh_answers(Route("127.0.0.1", closed_port, "alice"), 2) == "Connection refused"

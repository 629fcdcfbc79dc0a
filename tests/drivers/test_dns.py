"""DNS names of the local site and the embedded wildcard responder (real UDP on 127.0.0.1)."""

from __future__ import annotations

import socket
import struct

import pytest

from cumulo.drivers.docker.dns import DnsResponder, address_in, dns_name


def query(port: int, name: str, qtype: int = 1) -> tuple[int, list[str]]:
    """Send one DNS query; (rcode, IPv4 answers)."""
    message = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for part in name.split("."):
        message += bytes([len(part)]) + part.encode()
    message += b"\x00" + struct.pack("!HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(message, ("127.0.0.1", port))
        reply = sock.recv(512)
    ident, flags, _, ancount = struct.unpack("!HHHH", reply[:8])
    assert ident == 0x1234 and flags & 0x8000
    answers = [socket.inet_ntoa(reply[-4:])] if ancount else []
    return flags & 0xF, answers


@pytest.fixture
def responder():
    server = DnsResponder("myip.localhost").start()
    yield server
    server.close()


def test_names_carry_the_address():
    assert dns_name("My_DB", "127.0.0.1") == "my-db.127.0.0.1.myip.localhost"
    assert dns_name("wp", "10.0.0.5", "myip.example.org") == "wp.10.0.0.5.myip.example.org"
    assert address_in("wp.10.0.0.5.myip.example.org.", "myip.example.org") == "10.0.0.5"
    assert address_in("wp.10.0.0.500.myip.example.org", "myip.example.org") is None
    assert address_in("wp.example.org", "myip.example.org") is None


def test_responder_answers_like_a_wildcard_dns(responder: DnsResponder):
    assert query(responder.port, "web.127.0.0.1.myip.localhost") == (0, ["127.0.0.1"])
    assert query(responder.port, "a.b.WP.10.1.2.3.MYIP.localhost") == (0, ["10.1.2.3"])
    assert query(responder.port, "AAAA.127.0.0.1.myip.localhost", qtype=28) == (0, [])
    assert query(responder.port, "nothing.myip.localhost") == (3, [])  # NXDOMAIN
    assert query(responder.port, "example.org") == (5, [])  # REFUSED: not our zone

"""DNS names of the local site: ``<name>.<ip>.<zone>``, and a wildcard responder.

Outputs may name a service ``web.127.0.0.1.myip.localhost`` as INFN Cloud names
``wp.<ip>.myip.cloud.infn.it``: the address is in the name, so a wildcard DNS
service answers any such name without a record per deployment. The default
zone ``myip.localhost`` needs no DNS at all on systems that resolve
``*.localhost`` to the loopback; ``DnsResponder`` is that wildcard service, on
127.0.0.1 (``cumulo serve`` starts it when ``CUMULO_DNS_PORT`` is set): an A
query for ``<anything>.<a>.<b>.<c>.<d>.<zone>`` answers ``a.b.c.d``; other
names in the zone get NXDOMAIN, names outside it REFUSED.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import struct
import threading

DEFAULT_ZONE = "myip.localhost"
TTL = 60
_A, _IN = 1, 1


def label(name: str) -> str:
    """A valid DNS label made of ``name`` (``my_db`` -> ``my-db``)."""
    text = re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-")[:63]
    return text or "node"


def dns_name(name: str, ip: str, zone: str = DEFAULT_ZONE) -> str:
    return f"{label(name)}.{ip}.{zone or DEFAULT_ZONE}"


def address_in(name: str, zone: str) -> str | None:
    """The IPv4 address a name of the zone carries, or None."""
    name = name.lower().rstrip(".")
    suffix = "." + zone.lower().strip(".")
    if not name.endswith(suffix):
        return None
    parts = name.removesuffix(suffix).split(".")
    if len(parts) < 4:
        return None
    try:
        return str(ipaddress.IPv4Address(".".join(parts[-4:])))
    except ValueError:
        return None


def answer(query: bytes, zone: str) -> bytes | None:
    """The response to one DNS query message, or None for what is not a query."""
    if len(query) < 12:
        return None
    ident, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000 or qdcount != 1:
        return None
    labels, at = [], 12
    while at < len(query) and query[at]:
        length = query[at]
        labels.append(query[at + 1 : at + 1 + length].decode("ascii", "replace"))
        at += 1 + length
    if at + 5 > len(query):
        return None
    qtype, qclass = struct.unpack("!HH", query[at + 1 : at + 5])
    question = query[12 : at + 5]
    name = ".".join(labels)
    address = address_in(name, zone)
    in_zone = (name.lower() + ".").endswith("." + zone.lower().strip(".") + ".")
    rcode = 0 if address else 3 if in_zone else 5  # NOERROR, NXDOMAIN, REFUSED
    records = b""
    if address and qtype == _A and qclass == _IN:
        records = b"\xc0\x0c" + struct.pack("!HHIH", _A, _IN, TTL, 4)
        records += socket.inet_aton(address)
    header = struct.pack(
        "!HHHHHH", ident, 0x8400 | (flags & 0x0100) | rcode, 1, 1 if records else 0, 0, 0
    )
    return header + question + records


class DnsResponder:
    """A UDP wildcard DNS responder for one zone, on a daemon thread."""

    def __init__(self, zone: str = DEFAULT_ZONE, host: str = "127.0.0.1", port: int = 0) -> None:
        self.zone = zone
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)  # so that close() is seen soon
        self.port: int = self.sock.getsockname()[1]
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="cumulo-dns", daemon=True)

    def start(self) -> DnsResponder:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                query, peer = self.sock.recvfrom(512)
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            response = answer(query, self.zone)
            if response is not None:
                try:
                    self.sock.sendto(response, peer)
                except OSError:
                    return

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=2)
        self.sock.close()

"""What kind of address an IP is, for the egress policy: public, or why not.

``classify`` answers ``None`` for a public (globally routed) address and else
the category that makes it off limits by default. IPv6 forms that carry an
IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, NAT64) are judged by the
IPv4 address they lead to, so ``::ffff:127.0.0.1`` is loopback like
``127.0.0.1``. ``literal_ip`` reads a URL host the way the C resolver does, so
``0x7f000001``, ``2130706433``, ``0177.0.0.1`` and ``127.1`` are 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address

LOOPBACK, PRIVATE, LINK_LOCAL, MULTICAST = "loopback", "private", "link-local", "multicast"
RESERVED, UNSPECIFIED, METADATA = "reserved", "unspecified", "cloud metadata"

# Instance metadata / host services of clouds, wherever they live (one is a public address).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean ...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "168.63.129.16",  # Azure wire server
    )
)
# Private networks an admin may open with egress_allow_private (RFC 1918, shared CGNAT, ULA).
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
# Not global although Python's ``is_global`` says so (protocol assignments, relays).
NOT_GLOBAL = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.0.0/24", "192.88.99.0/24", "64:ff9b:1::/48", "2001::/23", "fec0::/10")
)
NAT64 = IPv6Network("64:ff9b::/96")
IPV4_COMPATIBLE = IPv6Network("::/96")

_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


def embedded_ipv4(ip: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, compatible, 6to4, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1):
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def classify(ip: IPAddress) -> str | None:
    """Why ``ip`` is off limits by default, or ``None`` when it is a public address."""
    if isinstance(ip, IPv6Address):
        if ip.scope_id:  # fe80::1%eth0: only link-local addresses carry a zone
            return LINK_LOCAL
        inner = embedded_ipv4(ip)
        if inner is not None:
            return classify(inner)
    if ip in METADATA_ADDRESSES:
        return METADATA
    if ip.is_unspecified:
        return UNSPECIFIED
    if ip.is_loopback:
        return LOOPBACK
    if ip.is_link_local:
        return LINK_LOCAL
    if ip.is_multicast:
        return MULTICAST
    if any(ip in net for net in PRIVATE_NETWORKS if net.version == ip.version):
        return PRIVATE
    if ip.is_reserved or not ip.is_global or _in(ip, NOT_GLOBAL):
        return RESERVED
    return None


def _in(ip: IPAddress, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    return any(ip in net for net in networks if net.version == ip.version)


def literal_ip(host: str) -> IPAddress | None:
    """The address a URL host spells, in any form the resolver accepts; ``None`` for a name.

    Raises ``ValueError`` for a host that looks numeric but is no address (``1.2.3.4.5``).
    """
    host = host.strip("[]").rstrip(".").lower()
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    labels = host.split(".")
    if not host or not all(_NUMERIC_LABEL.match(label) for label in labels):
        return None
    try:  # decimal, octal (0177), hex (0x7f) and short forms (127.1), as inet_aton reads them
        return IPv4Address(socket.inet_aton(host))
    except OSError:
        raise ValueError(f"{host!r} is not an IP address") from None


def is_loopback_name(host: str) -> bool:
    """``localhost`` and its subdomains, which always name the machine itself (RFC 6761)."""
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")

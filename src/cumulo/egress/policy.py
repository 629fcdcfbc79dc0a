"""The egress policy: where cumulo may connect when it acts on a user's behalf.

By default only public addresses (see ``addresses.classify``); the admin adds
destinations with ``CUMULO_EGRESS_ALLOW`` (comma-separated entries, each an
IP, a CIDR or a host name, with an optional port: ``127.0.0.1:8080``,
``10.1.0.0/16``, ``[fd00::/8]:443``, ``git.lab.example``, ``*.lab.example:443``)
and opens the private networks with ``CUMULO_EGRESS_ALLOW_PRIVATE``. A host
name entry trusts what that name resolves to; an IP entry allows exactly the
addresses it covers. Every refusal says ``REFUSED``, the same text a failed
connection gets, so a refusal never tells an open port from a closed one.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

import httpx

from cumulo.egress.addresses import (
    PRIVATE,
    IPAddress,
    classify,
    is_loopback_name,
    literal_ip,
)
from cumulo.errors import BadRequest

REFUSED = (
    "not reachable: cumulo connects on a user's behalf only to public addresses and to those "
    "the admin allows (CUMULO_EGRESS_ALLOW), and this one is not allowed or did not answer"
)
SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ENTRY = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\[\]]+))(?::(?P<port>[0-9]{1,5}))?$")
_NAME = re.compile(r"^(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$")


class EgressRefused(BadRequest):
    """A destination the egress policy does not allow, or one that did not answer."""

    def __init__(self) -> None:
        super().__init__(REFUSED)


@dataclass(frozen=True)
class AllowRule:
    """One entry of the allow-list: a network or a host name, on one port or any."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    name: str | None = None  # exact, or "*.example.org" for its subdomains
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> AllowRule:
        text = entry.strip().lower()
        if "[" not in text and text.count(":") > 1:  # a bare IPv6 address or network
            text = f"[{text}]"
        match = _ENTRY.match(text)
        port = int(match["port"]) if match and match["port"] else None
        if match is None or (port is not None and not 0 < port < 65536):
            raise ValueError(f"egress_allow: {entry!r} is not ADDRESS[/BITS][:PORT] or NAME[:PORT]")
        spelled = match["v6"] or match["host"]
        try:
            return cls(network=ipaddress.ip_network(spelled, strict=False), port=port)
        except ValueError:
            pass
        if match["v6"] or not _NAME.match(spelled) or literal_ip(spelled.split("/")[0]):
            raise ValueError(f"egress_allow: {entry!r} is not a valid address, network or name")
        return cls(name=spelled.rstrip("."), port=port)

    def admits(self, host: str, ip: IPAddress | None, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return ip is not None and ip.version == self.network.version and ip in self.network
        name = host.rstrip(".").lower()
        assert self.name is not None
        if self.name.startswith("*."):
            return name.endswith(self.name[1:])
        return name == self.name


@dataclass(frozen=True)
class EgressPolicy:
    rules: tuple[AllowRule, ...] = ()
    allow_private: bool = False

    @classmethod
    def parse(cls, allow: str = "", allow_private: bool = False) -> EgressPolicy:
        """The policy of the settings' strings (``ValueError`` naming a bad entry)."""
        entries = [e for e in re.split(r"[\s,;]+", allow) if e]
        return cls(tuple(AllowRule.parse(e) for e in entries), allow_private)

    @classmethod
    def from_settings(cls, settings: Any) -> EgressPolicy:
        """The policy of ``cumulo.config.Settings`` (``egress_allow``, ``egress_allow_private``)."""
        return cls.parse(settings.egress_allow, settings.egress_allow_private)

    def admits_name(self, host: str, port: int) -> bool:
        """True when a host name entry trusts ``host`` whatever it resolves to."""
        return any(r.name is not None and r.admits(host, None, port) for r in self.rules)

    def admits(self, host: str, ip: IPAddress, port: int) -> bool:
        """May cumulo connect to ``ip`` on ``port`` for a URL naming ``host``?"""
        if any(rule.admits(host, ip, port) for rule in self.rules):
            return True
        kind = classify(ip)
        return kind is None or (kind == PRIVATE and self.allow_private)

    def check_url(self, url: str) -> None:
        """Refuse a URL whose scheme or literal host is not allowed (no DNS lookup).

        What a name resolves to is checked again at every connection, redirects too.
        """
        try:
            parsed = httpx.URL(url)
            host, scheme = parsed.host, parsed.scheme
            port = parsed.port or _DEFAULT_PORTS.get(scheme, 0)
            ip = literal_ip(host)
        except (httpx.InvalidURL, ValueError):
            raise EgressRefused() from None
        if scheme not in SCHEMES or not host:
            raise EgressRefused()
        if ip is None and is_loopback_name(host):
            ip = ipaddress.ip_address("127.0.0.1")
        if ip is not None and not self.admits(host, ip, port):
            raise EgressRefused()

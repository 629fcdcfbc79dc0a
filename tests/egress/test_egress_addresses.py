"""Address classification of the egress policy: every spelling of a forbidden address is caught."""

from __future__ import annotations

import ipaddress

import pytest

from cumulo.egress.addresses import (
    LINK_LOCAL,
    LOOPBACK,
    METADATA,
    MULTICAST,
    PRIVATE,
    RESERVED,
    UNSPECIFIED,
    classify,
    is_loopback_name,
    literal_ip,
)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", LOOPBACK), ("127.255.255.254", LOOPBACK), ("0.0.0.0", UNSPECIFIED),
        ("10.0.0.1", PRIVATE), ("172.16.0.1", PRIVATE), ("192.168.1.1", PRIVATE),
        ("100.64.0.1", PRIVATE), ("169.254.169.254", METADATA), ("169.254.170.2", METADATA),
        ("100.100.100.200", METADATA), ("192.0.0.192", METADATA), ("168.63.129.16", METADATA),
        ("169.254.1.1", LINK_LOCAL), ("224.0.0.1", MULTICAST), ("239.255.255.250", MULTICAST),
        ("240.0.0.1", RESERVED), ("255.255.255.255", RESERVED), ("192.0.2.1", RESERVED),
        ("198.18.0.1", RESERVED), ("192.0.0.8", RESERVED), ("192.88.99.1", RESERVED),
        ("8.8.8.8", None), ("1.1.1.1", None), ("93.184.215.14", None),
        # IPv6, and IPv6 forms that carry an IPv4 address
        ("::1", LOOPBACK), ("::", UNSPECIFIED), ("::ffff:127.0.0.1", LOOPBACK),
        ("::ffff:7f00:1", LOOPBACK), ("::ffff:169.254.169.254", METADATA),
        ("::ffff:10.0.0.1", PRIVATE), ("::127.0.0.1", LOOPBACK),
        ("2002:7f00:1::", LOOPBACK), ("2002:a9fe:a9fe::1", METADATA), ("2002:808:808::", None),
        ("64:ff9b::7f00:1", LOOPBACK), ("64:ff9b::a9fe:a9fe", METADATA),
        ("64:ff9b::808:808", None), ("64:ff9b:1::1", RESERVED),
        ("fe80::1", LINK_LOCAL), ("fe80::1%eth0", LINK_LOCAL), ("fc00::1", PRIVATE),
        ("fd12:3456::1", PRIVATE), ("fd00:ec2::254", METADATA), ("ff02::1", MULTICAST),
        ("fec0::1", RESERVED), ("2001:db8::1", RESERVED), ("2001::1", RESERVED),
        ("100::1", RESERVED), ("2606:4700:4700::1111", None), ("2a00:1450:4001::1", None),
    ],
)  # fmt: skip
def test_every_kind_of_address_is_classified(address: str, kind: str | None) -> None:
    assert classify(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    "host",
    ["0x7f000001", "2130706433", "0177.0.0.1", "0177.0.0.01", "127.1", "0x7f.1", "127.0.0.1.",
     "0X7F000001", "017700000001", "[::ffff:127.0.0.1]", "[::1]", "127.000.000.001"],
)  # fmt: skip
def test_every_spelling_of_an_address_is_read_as_the_resolver_reads_it(host: str) -> None:
    ip = literal_ip(host)
    assert ip is not None and classify(ip) == LOOPBACK


def test_names_are_not_addresses_and_bad_numbers_are_refused() -> None:
    assert literal_ip("example.org") is None
    assert literal_ip("0x7f.example.org") is None
    assert literal_ip("cafe.babe") is None
    for bad in ("1.2.3.4.5", "0x1ffffffff", "99999999999", "0x"):
        with pytest.raises(ValueError):
            literal_ip(bad)


def test_localhost_names_are_loopback() -> None:
    assert is_loopback_name("localhost") and is_loopback_name("LOCALHOST.")
    assert is_loopback_name("app.1.2.3.4.myip.localhost")
    assert not is_loopback_name("localhost.example.org")

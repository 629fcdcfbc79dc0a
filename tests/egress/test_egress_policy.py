"""The egress policy's allow-list and the URL check made at POST (no DNS lookup)."""

from __future__ import annotations

import ipaddress

import pytest

from cumulo.config import Settings
from cumulo.egress import REFUSED, AllowRule, EgressPolicy, EgressRefused

LOOPBACK_SPELLINGS = [
    "http://127.0.0.1:8000/x", "http://127.0.0.2/", "http://localhost:22/",
    "http://LocalHost./", "http://a.localhost/", "http://[::1]:8000/", "http://[::]/",
    "http://0.0.0.0:8000/", "http://0/", "http://0x7f000001/", "http://2130706433/",
    "http://0177.0.0.1/", "http://127.1/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://[2002:7f00:1::]/", "http://[64:ff9b::7f00:1]/",
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
    "http://[fe80::1%25eth0]/", "http://10.0.0.1/", "http://192.168.1.1/",
    "https://100.100.100.200/", "http://224.0.0.1/", "http://1.2.3.4.5/",
]  # fmt: skip


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS)
def test_by_default_no_address_of_the_host_or_its_networks(url: str) -> None:
    with pytest.raises(EgressRefused) as refused:
        EgressPolicy().check_url(url)
    assert refused.value.message == REFUSED and refused.value.http_status == 400


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "file:///etc/passwd", "gopher://x/", "http://", "x", "//a/"]
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(EgressRefused, match=r"^not reachable"):
        EgressPolicy().check_url(url)


def test_public_addresses_and_names_pass_the_literal_check() -> None:
    for url in ("https://example.org/compose.yaml", "http://8.8.8.8/", "http://[2606:4700::1]/"):
        EgressPolicy().check_url(url)


def test_an_allow_entry_opens_exactly_its_address_and_port() -> None:
    policy = EgressPolicy.parse("127.0.0.1:8080")
    policy.check_url("http://127.0.0.1:8080/hook")
    policy.check_url("http://localhost:8080/hook")  # checked again on what it resolves to
    for url in ("http://127.0.0.1:8081/", "http://127.0.0.1/", "http://[::1]:8080/"):
        with pytest.raises(EgressRefused):
            policy.check_url(url)


def test_allow_private_opens_private_networks_only() -> None:
    policy = EgressPolicy(allow_private=True)
    for url in ("http://10.1.2.3/", "http://192.168.0.10:3000/", "http://[fd12::1]/"):
        policy.check_url(url)
    for url in ("http://127.0.0.1/", "http://169.254.169.254/", "http://[fd00:ec2::254]/"):
        with pytest.raises(EgressRefused):
            policy.check_url(url)


@pytest.mark.parametrize(
    ("entry", "host", "address", "port", "admitted"),
    [
        ("10.1.0.0/16", "x", "10.1.200.3", 443, True),
        ("10.1.0.0/16", "x", "10.2.0.1", 443, False),
        ("[fd00::/8]:443", "x", "fd12::1", 443, True),
        ("[fd00::/8]:443", "x", "fd12::1", 80, False),
        ("::1", "x", "::1", 8000, True),
        ("git.lab.example", "GIT.lab.example.", "10.0.0.5", 22, True),
        ("git.lab.example", "evil.example", "10.0.0.5", 22, False),
        ("*.lab.example:443", "a.b.lab.example", "127.0.0.1", 443, True),
        ("*.lab.example:443", "lab.example", "127.0.0.1", 443, False),
        ("*.lab.example:443", "xlab.example", "127.0.0.1", 443, False),
    ],
)  # fmt: skip
def test_allow_rules(entry: str, host: str, address: str, port: int, admitted: bool) -> None:
    rule = AllowRule.parse(entry)
    assert rule.admits(host, ipaddress.ip_address(address), port) is admitted


@pytest.mark.parametrize(
    "entry", ["http://x", "1.2.3.4:99999", "1.2.3.4:0", "[x]", "a!b", "0x7f000001", "-x.org"]
)
def test_bad_entries_are_refused_naming_them(entry: str) -> None:
    with pytest.raises(ValueError, match="egress_allow: "):
        EgressPolicy.parse(entry)


def test_the_settings_make_the_policy() -> None:
    allow = "127.0.0.1:9000, 10.0.0.0/8;git.lab"
    settings = Settings(egress_allow=allow, egress_allow_private=True)
    policy = EgressPolicy.from_settings(settings)
    assert len(policy.rules) == 3 and policy.allow_private
    assert EgressPolicy.from_settings(Settings()) == EgressPolicy()

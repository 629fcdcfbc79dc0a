"""What the Docker driver makes of a node request, before any engine call (pure)."""

from __future__ import annotations

import re

import pytest
from driver_helpers import run_request, vm_request

from cumulo.drivers.base import SiteInfo
from cumulo.drivers.docker.application import (
    application_spec,
    command,
    environment,
    image_reference,
)
from cumulo.drivers.docker.limits import host_limits
from cumulo.drivers.docker.ports import PortRequest, parse_ports
from cumulo.drivers.docker.vm import accounts_env, choose_image, vm_spec
from cumulo.drivers.node_accounts import accounts
from cumulo.errors import ImageNotFound, SiteError

SITE = SiteInfo(name="s", endpoint="unix:///x.sock")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (8080, [PortRequest(8080)]),
        ("53/udp", [PortRequest(53, "udp")]),
        ("9000:80", [PortRequest(80, "tcp", 9000)]),
        ("127.0.0.1:9000:80", [PortRequest(80, "tcp", 9000)]),  # docker CLI syntax
        ("127.0.0.1::80/udp", [PortRequest(80, "udp")]),
        ([80, "80", 443], [PortRequest(80), PortRequest(443)]),
        ({"source": 80, "target": 8081}, [PortRequest(80, "tcp", 8081)]),
        ({"http": {"protocol": "tcp", "source": 80}}, [PortRequest(80)]),
        ([], []),
        (None, []),
    ],
)
def test_port_forms(value, expected) -> None:
    assert parse_ports("n", "properties.docker_ports", value) == expected


@pytest.mark.parametrize("bad", ["http", 0, 70000, "1:2:x", {"source": 80, "protocol": "icmp"}])
def test_bad_ports_name_node_and_property(bad) -> None:
    with pytest.raises(SiteError, match=r"^node n: properties\.docker_ports: "):
        parse_ports("n", "properties.docker_ports", bad)


@pytest.mark.parametrize("address", ["0.0.0.0", "192.0.2.7", "[::]"])
def test_an_address_other_than_loopback_is_refused_and_said(address) -> None:
    with pytest.raises(SiteError, match=rf"on 127\.0\.0\.1 only, not on {re.escape(address)}"):
        parse_ports("n", "properties.docker_ports", f"{address}:8080:80")


def test_image_reference_forms() -> None:
    assert image_reference(run_request("d", docker_image="nginx", docker_tag="")) == "nginx:latest"
    assert image_reference(run_request("d", docker_image="reg:5000/a/b", docker_tag="2")) == (
        "reg:5000/a/b:2"
    )
    assert image_reference(run_request("d", docker_image="a/b:1.0", docker_tag="9")) == "a/b:1.0"
    with pytest.raises(SiteError, match="node app: no container image given"):
        image_reference(run_request("d", docker_image=""))


def test_command_and_environment() -> None:
    request = run_request(
        "d",
        docker_command="sh -c 'echo a b'",
        environment_variables=["X=1=2", {"Y": None}],
    )
    assert command(request) == ["sh", "-c", "echo a b"]
    assert environment(request) == {"X": "1=2", "Y": "", "HOST_PUBLIC_IP": "127.0.0.1"}
    with pytest.raises(SiteError, match=r"node app: properties\.environment_variables"):
        environment(run_request("d", environment_variables=["novalue"]))
    with pytest.raises(SiteError, match=r"node app: properties\.docker_command"):
        command(run_request("d", docker_command="echo 'unclosed"))


def test_host_limits() -> None:
    caps = {"host": {"num_cpus": "2", "mem_size": "1 GiB"}}
    assert host_limits("n", caps) == {"nano_cpus": 2_000_000_000, "mem_limit": 1 << 30}
    assert host_limits("n", {}) == {}
    with pytest.raises(SiteError, match=r"node n: capabilities\.host\.num_cpus"):
        host_limits("n", {"host": {"num_cpus": -1}})
    with pytest.raises(SiteError, match=r"node n: capabilities\.host\.mem_size 'lots'"):
        host_limits("n", {"host": {"mem_size": "lots"}})
    with pytest.raises(SiteError, match="below the 6 MiB"):
        host_limits("n", {"host": {"mem_size": "1 kB"}})


def test_image_choice_by_os() -> None:
    assert choose_image(vm_request("d", None), SITE) == "cumulo/vm-debian:12"
    caps = {"os": {"distribution": "Debian", "version": 12.0}}
    assert choose_image(vm_request("d", None, capabilities=caps), SITE) == "cumulo/vm-debian:12"
    site = SiteInfo(name="s", endpoint="", images={"ubuntu": {"22.04": "u:22"}})
    caps = {"os": {"distribution": "ubuntu", "version": "20.04"}}
    with pytest.raises(ImageNotFound, match=r"'ubuntu 20.04'; it offers: ubuntu 22.04$"):
        choose_image(vm_request("d", None, capabilities=caps), site)


def test_an_image_the_site_lacks_is_refused_listing_its_images_never_replaced() -> None:
    caps = {"os": {"image": "team/nope:1"}}
    with pytest.raises(ImageNotFound) as err:
        choose_image(vm_request("d", None, capabilities=caps), SITE)
    assert str(err.value).startswith(
        "node server: site s does not offer the image 'team/nope:1'; it offers: "
    )
    assert "cumulo/vm-debian:12" in str(err.value) and "cumulo/vm-jupyter:12" in str(err.value)
    offered = {"os": {"image": "cumulo/vm-jupyter:12"}}
    assert choose_image(vm_request("d", None, capabilities=offered), SITE) == "cumulo/vm-jupyter:12"


def test_infn_templates_asking_ubuntu_place_where_the_site_maps_ubuntu() -> None:
    site = SiteInfo(name="s", endpoint="", images={"ubuntu": {"22.04": "cumulo/vm-debian:12"}})
    caps = {"os": {"type": "linux", "distribution": "ubuntu", "version": "22.04",
                   "image": "ost://cloud.infn.it/ubuntu-22.04"}}  # fmt: skip
    assert choose_image(vm_request("d", None, capabilities=caps), site) == "cumulo/vm-debian:12"
    unknown = {"os": {"distribution": "centos", "image": "centos-7"}}
    with pytest.raises(ImageNotFound, match=r"'centos'; it offers: ubuntu 22.04$"):
        choose_image(vm_request("d", None, capabilities=unknown), site)


def test_accounts_from_owner_and_os_users() -> None:
    users = [
        {"os_user_name": "bob", "os_user_add_to_sudoers": True},
        {"os_user_name": "eve", "os_user_ssh_public_key": "ssh-ed25519 AAAA eve"},
    ]
    request = vm_request("d", "ssh-ed25519 AAAA me", properties={"os_users": users})
    assert accounts_env(accounts(request)).splitlines() == [
        "cloudadm 1 ssh-ed25519 AAAA me",
        "bob 1 -",
        "eve 0 ssh-ed25519 AAAA eve",
    ]
    bad = vm_request("d", None, properties={"os_users": [{"os_user_name": "root;rm"}]})
    with pytest.raises(SiteError, match=r"node server: properties.os_users\[0\]: 'root;rm'"):
        accounts(bad)
    with pytest.raises(SiteError, match="single line"):
        accounts(vm_request("d", "ssh-ed25519 A\nssh-rsa B"))


def test_specs_carry_limits_and_ports() -> None:
    spec = application_spec(run_request("d", docker_ports=[8080]))
    kwargs = spec.create_kwargs("name")
    assert kwargs["ports"] == {"8080/tcp": ("127.0.0.1", None)}
    assert (kwargs["nano_cpus"], kwargs["mem_limit"]) == (500_000_000, 64_000_000)
    vm = vm_spec(vm_request("d", None), SITE).create_kwargs("v")
    assert vm["ports"] == {"22/tcp": ("127.0.0.1", None)} and vm["init"] is True


def test_vm_publishes_ssh_and_the_endpoint_ports() -> None:
    caps = {
        "endpoint": {
            "ports": {
                "ssh": {"protocol": "tcp", "source": 22},
                "http": {"protocol": "tcp", "source": 80, "remote_cidr": "0.0.0.0/0"},
            }
        }
    }
    spec = vm_spec(vm_request("d", None, capabilities=caps), SITE)
    assert [p.key for p in spec.ports] == ["22/tcp", "80/tcp"]
    assert all(p.host_port is None for p in spec.ports)

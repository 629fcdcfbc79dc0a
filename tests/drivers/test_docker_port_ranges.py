"""PortSpec ranges and remote_cidr, and the real host ports they get."""

from __future__ import annotations

import pytest
from driver_helpers import deadline, vm_request

from cumulo.drivers.docker import DockerDriver
from cumulo.drivers.docker.ports import PortRequest, parse_ports
from cumulo.errors import SiteError


def test_source_ranges_become_one_port_each() -> None:
    spec = {"protocol": "udp", "source_range": [7000, 7002], "remote_cidr": "10.0.0.0/8"}
    assert parse_ports("n", "p", spec) == [PortRequest(p, "udp") for p in (7000, 7001, 7002)]
    mapped = {"web": {"source_range": [80, 81], "target_range": [8080, 8081]}}
    assert parse_ports("n", "p", mapped) == [
        PortRequest(80, "tcp", 8080),
        PortRequest(81, "tcp", 8081),
    ]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"source_range": [10, 5]}, "ends before it starts"),
        ({"source_range": [1, 500]}, "more than 100 ports"),
        ({"source_range": "80-90"}, "a port range is \\[first, last\\]"),
    ],
)
def test_bad_ranges_are_refused(bad, message) -> None:
    with pytest.raises(SiteError, match=f"node n: p: .*{message}"):
        parse_ports("n", "p", bad)


@pytest.mark.e2e
def test_the_outputs_give_the_real_host_ports(driver: DockerDriver, deployment: str) -> None:
    ports = {"app": {"protocol": "tcp", "source_range": [8000, 8001], "remote_cidr": "0.0.0.0/0"}}
    request = vm_request(deployment, None, capabilities={"endpoint": {"ports": ports}})
    attrs = driver.wait_ready(request, driver.create(request), deadline()).attributes
    assert set(attrs["ports"]) == {"22/tcp", "8000/tcp", "8001/tcp"}
    assert len(set(attrs["ports"].values())) == 3
    assert all(isinstance(p, int) and p > 1024 for p in attrs["ports"].values())

"""The test cloud (scripts/test-cloud up) does what cumulo's OpenStack driver will ask of it,
as the non-admin user ``cumulo-test``: flavors, images, a server on the private network, a
floating IP from ``public``, a volume attached and detached; everything removed after.

Deselected by default (``-m openstack``); skipped when the test cloud was never brought up.
"""

from __future__ import annotations

import contextlib
import ipaddress
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import openstack
import pytest
import yaml
from openstack.connection import Connection

from cumulo.engine.sites.definitions import RegistryFile

TC = Path(__file__).resolve().parents[3] / "var" / "test-cloud"
CLOUDS_YAML = TC / "clouds.yaml"
SITES_YAML = TC / "sites.yaml"
FLOATING_RANGE = ipaddress.ip_network("203.0.113.0/24")  # public-subnet of the test cloud

pytestmark = [
    pytest.mark.openstack,
    pytest.mark.skipif(
        not CLOUDS_YAML.exists(),
        reason=f"{CLOUDS_YAML} is absent: run scripts/test-cloud up",
    ),
]


@pytest.fixture(scope="module")
def conn() -> Iterator[Connection]:
    config = openstack.config.OpenStackConfig(config_files=[str(CLOUDS_YAML)])
    connection = openstack.connection.Connection(config=config.get_one(cloud="cumulo-test"))
    yield connection
    connection.close()


@pytest.fixture
def undo() -> Iterator[Callable[[Callable[[], object]], None]]:
    """Clean-ups run in reverse even when the test fails half way (each one best-effort)."""
    steps: list[Callable[[], object]] = []
    yield steps.append
    for step in reversed(steps):
        with contextlib.suppress(openstack.exceptions.SDKException):
            step()


def test_the_user_is_not_admin(conn: Connection) -> None:
    roles = conn.session.auth.get_access(conn.session).role_names
    assert "member" in roles
    assert "admin" not in roles


def test_sites_file_matches_the_cloud(conn: Connection) -> None:
    registry = RegistryFile.model_validate(yaml.safe_load(SITES_YAML.read_text()))
    (site,) = registry.sites
    assert (site.kind, site.credentials) == ("openstack", "clouds:cumulo-test")
    assert site.options["clouds_yaml"] == str(CLOUDS_YAML)
    cloud = {f.name: f for f in conn.compute.flavors()}
    for flavor in site.flavors:
        real = cloud[flavor.name]
        assert (real.vcpus, real.ram, real.disk) == (flavor.vcpus, flavor.ram, flavor.disk)
        gpu_alias = real.extra_specs.get("pci_passthrough:alias")
        assert (int(gpu_alias.split(":")[1]) if gpu_alias else 0) == flavor.gpus
    assert any(f.gpus for f in site.flavors)
    assert set(site.images) == {"ubuntu", "debian"}
    for distribution, versions in site.images.items():
        for version, name in versions.items():
            image = conn.image.find_image(name, ignore_missing=False)
            assert (image.os_distro, image.os_version) == (distribution, version)
            assert image.status == "active"


def test_server_floating_ip_and_volume(conn: Connection, undo) -> None:
    name = f"cumulo-smoke-{uuid.uuid4().hex[:8]}"
    private = conn.network.find_network("private", ignore_missing=False)
    public = conn.network.find_network("public", ignore_missing=False)
    flavor = conn.compute.find_flavor("m1.tiny", ignore_missing=False)
    image = conn.image.find_image("debian-12", ignore_missing=False)

    server = conn.compute.create_server(
        name=name, flavor_id=flavor.id, image_id=image.id, networks=[{"uuid": private.id}]
    )
    undo(lambda: conn.compute.delete_server(server, ignore_missing=True))
    server = conn.compute.wait_for_server(server, wait=120)
    assert server.status == "ACTIVE"
    (port,) = conn.network.ports(device_id=server.id)
    assert port.network_id == private.id

    fip = conn.network.create_ip(floating_network_id=public.id, port_id=port.id)
    undo(lambda: conn.network.delete_ip(fip, ignore_missing=True))
    fip = conn.network.get_ip(fip)  # read from Neutron: nova's addresses may lag
    assert fip.port_id == port.id
    assert ipaddress.ip_address(fip.floating_ip_address) in FLOATING_RANGE

    volume = conn.block_storage.create_volume(name=name, size=1, volume_type="fake")
    undo(lambda: conn.block_storage.delete_volume(volume, ignore_missing=True))
    conn.block_storage.wait_for_status(volume, "available", failures=["error"], wait=60)
    conn.compute.create_volume_attachment(server, volume=volume)
    volume = conn.block_storage.wait_for_status(volume, "in-use", failures=["error"], wait=60)
    assert [a["server_id"] for a in volume.attachments] == [server.id]
    conn.compute.delete_volume_attachment(server, volume)
    conn.block_storage.wait_for_status(volume, "available", failures=["error"], wait=60)

    conn.block_storage.delete_volume(volume)
    conn.network.delete_ip(fip)
    conn.compute.delete_server(server)
    conn.block_storage.wait_for_delete(volume, wait=60)
    conn.compute.wait_for_delete(server, wait=60)

    assert not list(conn.compute.servers(name=name))
    assert not [v for v in conn.block_storage.volumes() if v.name == name]
    assert not list(conn.network.ports(device_id=server.id))
    assert not list(conn.network.ips(port_id=port.id))

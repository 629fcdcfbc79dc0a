"""Compute nodes on the real Docker engine: VM-like containers reached by SSH."""

from __future__ import annotations

import subprocess
import time

import docker
import pytest
from driver_helpers import deadline, http_get, labelled, ssh, vm_request

from cumulo.drivers.docker import DockerDriver
from cumulo.errors import DriverTimeout, ImageNotFound, SiteError

pytestmark = pytest.mark.e2e


def test_vm_accepts_the_key_and_gives_sudo(
    driver: DockerDriver, deployment: str, ssh_key, engine: docker.DockerClient
) -> None:
    key, public = ssh_key
    request = vm_request(deployment, public)
    realized = driver.wait_ready(request, driver.create(request), deadline())
    attrs = realized.attributes
    assert attrs["public_address"] == ["127.0.0.1"]
    assert attrs["ssh_account"] == "cloudadm"
    container = engine.containers.get(realized.physical_id)
    assert attrs["ssh_port"] == int(container.ports["22/tcp"][0]["HostPort"])
    assert container.ports["22/tcp"][0]["HostIp"] == "127.0.0.1"
    assert attrs["endpoint"]["credential"][0]["user"] == "cloudadm"

    done = ssh(key, attrs["ssh_port"], "cloudadm", "true")
    assert done.returncode == 0, done.stderr
    done = ssh(key, attrs["ssh_port"], "cloudadm", "sudo -n id -u && python3 -c 'print(6*7)'")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "42"]

    host = container.attrs["HostConfig"]
    assert host["NanoCpus"] == 1_000_000_000
    assert host["Memory"] == 512_000_000
    labels = container.labels
    assert labels["cumulo.deployment"] == deployment
    assert (labels["cumulo.node"], labels["cumulo.index"], labels["cumulo.site"]) == (
        "server",
        "0",
        "test-local",
    )


def test_wrong_key_is_refused(driver: DockerDriver, deployment: str, ssh_key, tmp_path) -> None:
    _, public = ssh_key
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    request = vm_request(deployment, public)
    port = driver.wait_ready(request, driver.create(request), deadline()).attributes["ssh_port"]
    assert ssh(other, port, "cloudadm", "true").returncode != 0


def test_os_users_get_accounts_and_sudo_only_when_asked(
    driver: DockerDriver, deployment: str, ssh_key
) -> None:
    key, public = ssh_key
    users = [
        {"os_user_name": "alice", "os_user_add_to_sudoers": False, "os_user_ssh_public_key": public}
    ]
    request = vm_request(deployment, public, properties={"os_users": users})
    attrs = driver.wait_ready(request, driver.create(request), deadline()).attributes
    assert ssh(key, attrs["ssh_port"], "alice", "whoami").stdout.strip() == "alice"
    assert ssh(key, attrs["ssh_port"], "alice", "sudo -n true").returncode != 0
    assert [u["os_user_name"] for u in attrs["os_users"]] == ["cloudadm", "alice"]


def test_create_is_idempotent(driver: DockerDriver, deployment: str, ssh_key, engine) -> None:
    request = vm_request(deployment, ssh_key[1])
    first = driver.create(request)
    second = driver.create(request)
    assert first.physical_id == second.physical_id
    assert len(labelled(engine, deployment)) == 1


def test_unknown_os_lists_what_the_site_offers(driver: DockerDriver, deployment: str, engine):
    caps = {"os": {"distribution": "centos", "version": "7"}}
    with pytest.raises(ImageNotFound) as err:
        driver.create(vm_request(deployment, None, capabilities=caps))
    message = str(err.value)
    assert "node server" in message and "'centos 7'" in message
    assert "it offers: debian 12, debian bookworm" in message
    assert labelled(engine, deployment) == []


def test_default_os_is_debian_12(driver: DockerDriver, deployment: str, engine) -> None:
    realized = driver.create(vm_request(deployment, None, capabilities={}))
    assert engine.containers.get(realized.physical_id).image.tags == ["cumulo/vm-debian:12"]


def test_stop_start_observe_delete(driver: DockerDriver, deployment: str, ssh_key) -> None:
    key, public = ssh_key
    request = vm_request(deployment, public)
    realized = driver.wait_ready(request, driver.create(request), deadline())
    assert driver.observe(realized.physical_id) == "STARTED"
    driver.stop(realized.physical_id)
    assert driver.observe(realized.physical_id) == "STOPPED"
    driver.start(realized.physical_id)
    again = driver.wait_ready(request, realized, deadline())
    assert ssh(key, again.attributes["ssh_port"], "cloudadm", "true").returncode == 0
    driver.delete(realized.physical_id)
    assert driver.observe(realized.physical_id) == "DELETED"
    driver.delete(realized.physical_id)  # already gone is success


def test_endpoint_ports_of_the_vm_are_published(driver: DockerDriver, deployment, ssh_key):
    key, public = ssh_key
    caps = {"endpoint": {"ports": {"http": {"protocol": "tcp", "source": 80}}}}
    request = vm_request(deployment, public, capabilities=caps)
    attrs = driver.wait_ready(request, driver.create(request), deadline()).attributes
    serve = "echo served-by-vm > /tmp/index.html && sudo busybox httpd -p 80 -h /tmp"
    assert ssh(key, attrs["ssh_port"], "cloudadm", serve).returncode == 0
    assert http_get(f"http://127.0.0.1:{attrs['ports']['80/tcp']}/").strip() == "served-by-vm"


def test_a_vm_that_dies_fails_at_once(driver: DockerDriver, deployment: str, engine) -> None:
    request = vm_request(deployment, None)
    realized = driver.create(request)
    engine.containers.get(realized.physical_id).kill()
    started = time.monotonic()
    with pytest.raises(SiteError) as err:
        driver.wait_ready(request, realized, deadline(60))
    assert not isinstance(err.value, DriverTimeout)
    assert time.monotonic() - started < 20
    assert "node server: the VM container stopped" in str(err.value)

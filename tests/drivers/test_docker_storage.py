"""Block storage on the real Docker engine: a named volume mounted in the VM-like node."""

from __future__ import annotations

import dataclasses

import docker
import pytest
from driver_helpers import deadline, ssh, vm_request

from cumulo.drivers.base import NodeRequest
from cumulo.drivers.docker import DockerDriver
from cumulo.errors import SiteError

pytestmark = pytest.mark.e2e

STORAGE = ("tosca.nodes.indigo.BlockStorage", "tosca.nodes.BlockStorage", "tosca.nodes.Root")


def storage_request(deployment: str, **properties) -> NodeRequest:
    return NodeRequest(
        deployment_id=deployment, node="disk", index=0, type=STORAGE[0], types=STORAGE,
        properties={"size": "2 GB", **properties}, capabilities={},
    )  # fmt: skip


def attached(vm: NodeRequest, volume_id: str, location: str = "/data") -> NodeRequest:
    requirement = {
        "name": "local_storage", "node": "disk", "relationship": "tosca.relationships.AttachesTo",
        "properties": {"location": location}, "target_physical_id": volume_id,
    }  # fmt: skip
    return dataclasses.replace(vm, requirements=(requirement,))


def test_volume_is_mounted_keeps_data_across_stop_start_and_goes_with_the_deployment(
    driver: DockerDriver, deployment: str, ssh_key, engine: docker.DockerClient
) -> None:
    key, public = ssh_key
    disk = driver.create(storage_request(deployment))
    assert disk.attributes["size"] == 2_000_000_000
    assert driver.create(storage_request(deployment)).physical_id == disk.physical_id  # idempotent
    vm = attached(vm_request(deployment, public), disk.physical_id)
    attrs = driver.wait_ready(vm, driver.create(vm), deadline()).attributes
    volume = disk.attributes["volume_id"]
    assert attrs["volumes"] == {volume: "/data"}
    port = attrs["ssh_port"]
    done = ssh(key, port, "cloudadm", "echo kept | sudo tee /data/file >/dev/null && df /data")
    assert done.returncode == 0, done.stderr

    pid = driver.create(vm).physical_id
    driver.stop(pid)
    driver.start(pid)
    attrs = driver.wait_ready(vm, driver.create(vm), deadline()).attributes
    assert ssh(key, attrs["ssh_port"], "cloudadm", "cat /data/file").stdout == "kept\n"
    assert driver.observe(disk.physical_id) == "STARTED"

    removed = driver.delete_deployment(deployment)
    assert disk.physical_id in removed
    assert driver.observe(disk.physical_id) == "DELETED"
    assert not engine.volumes.list(filters={"label": f"cumulo.deployment={deployment}"})


def test_a_volume_asked_to_be_kept_survives_the_deployment(
    driver: DockerDriver, deployment: str, engine: docker.DockerClient
) -> None:
    disk = driver.create(storage_request(deployment, delete_on_termination=False))
    assert disk.attributes["kept_on_delete"] is True
    assert disk.physical_id not in driver.delete_deployment(deployment)
    assert driver.observe(disk.physical_id) == "STARTED"
    driver.delete(disk.physical_id)
    assert driver.observe(disk.physical_id) == "DELETED"


@pytest.mark.parametrize(
    ("location", "message"),
    [("data", "must be an absolute path"), ("/etc", "cannot mount a volume over /etc"),
     ("/proc/x", "cannot mount")],
)  # fmt: skip
def test_bad_mount_points_are_refused_naming_the_requirement(
    driver: DockerDriver, deployment: str, location: str, message: str
) -> None:
    vm = attached(vm_request(deployment, None), "volume:whatever", location)
    with pytest.raises(SiteError, match=f"node server: requirements.local_storage.*{message}"):
        driver.create(vm)


def test_attaching_something_that_is_not_storage_is_refused(
    driver: DockerDriver, deployment: str
) -> None:
    vm = attached(vm_request(deployment, None), "0123456789ab")
    with pytest.raises(SiteError, match="is not a block storage"):
        driver.create(vm)

"""GPUs (Docker device requests, only on an engine with NVIDIA's runtime) and the
site's read-only mounts (CVMFS-like) of VM-like containers: the specs, the site's
created-container rules, and the real engine."""

from __future__ import annotations

import dataclasses

import docker
import pytest
from driver_helpers import deadline, labelled, vm_request

from cumulo.drivers.base import SiteInfo
from cumulo.drivers.docker import DockerDriver
from cumulo.drivers.docker.created_policy import Scope, SiteRules, violations
from cumulo.drivers.docker.gpus import allowing_gpus, gpu_count, require_gpus
from cumulo.drivers.docker.site_mounts import allowing_binds, site_binds
from cumulo.drivers.docker.vm import vm_spec
from cumulo.errors import SiteError

SITE = SiteInfo(name="s", endpoint="unix:///x.sock")
RULES = SiteRules(log_driver="json-file", log_options=frozenset())


def _gpus(value: object) -> dict:
    return {"host": {"num_cpus": 1, "mem_size": "1 GB", "num_gpus": value}}


def test_a_gpu_request_becomes_a_device_request_and_none_otherwise() -> None:
    spec = vm_spec(vm_request("d", None, capabilities=_gpus(2)), SITE)
    (request,) = spec.create_kwargs("n")["device_requests"]
    assert request["Count"] == 2 and request["Capabilities"] == [["gpu"]]
    for none in (0, None, ""):
        plain = vm_spec(vm_request("d", None, capabilities=_gpus(none)), SITE)
        assert "device_requests" not in plain.create_kwargs("n")
    assert gpu_count(vm_request("d", None, capabilities=_gpus("1"))) == 1


@pytest.mark.parametrize("bad", [-1, 1.5, "two", True, [1]])
def test_a_bad_gpu_count_is_refused_naming_the_node(bad: object) -> None:
    with pytest.raises(SiteError, match=r"^node server: capabilities\.host\.num_gpus"):
        gpu_count(vm_request("d", None, capabilities=_gpus(bad)))


def test_gpus_need_the_nvidia_runtime() -> None:
    runc = {"Runtimes": {"runc": {}, "io.containerd.runc.v2": {}}}
    with pytest.raises(SiteError) as err:
        require_gpus("server", "local", 1, runc)
    assert "no NVIDIA runtime (its runtimes: io.containerd.runc.v2, runc)" in str(err.value)
    require_gpus("server", "local", 1, {"Runtimes": {"nvidia": {}, "runc": {}}})
    require_gpus("server", "local", 0, runc)  # nothing asked, nothing needed


def _host(**host: object) -> dict:
    return {"HostConfig": {"LogConfig": {"Type": "json-file"}, **host}}


def test_device_requests_pass_the_sites_rules_only_when_the_node_asked_for_gpus() -> None:
    attrs = _host(DeviceRequests=[{"Count": 1, "Capabilities": [["gpu"]]}])
    scope = Scope("d")
    assert any("DeviceRequests" in v for v in violations(attrs, scope, RULES, {}, {}))
    assert violations(attrs, scope, allowing_gpus(RULES, True), {}, {}) == []
    assert allowing_gpus(RULES, False) is RULES


def test_the_sites_readonly_mounts_are_mounted_read_only_at_their_names(tmp_path) -> None:
    site = SiteInfo(name="s", endpoint="", options={"readonly_mounts": {"cvmfs": str(tmp_path)}})
    spec = vm_spec(vm_request("d", None), site)
    assert spec.create_kwargs("n")["volumes"] == {str(tmp_path): {"bind": "/cvmfs", "mode": "ro"}}
    mount = {"Type": "bind", "Source": str(tmp_path), "RW": False, "Propagation": "rprivate"}
    attrs = {**_host(), "Mounts": [mount]}
    assert violations(attrs, Scope("d"), RULES, {}, {}) != []  # not a bind root by default
    assert violations(attrs, Scope("d"), allowing_binds(RULES, spec.binds), {}, {}) == []
    writable = {**attrs, "Mounts": [{**mount, "RW": True}]}
    assert violations(writable, Scope("d"), allowing_binds(RULES, spec.binds), {}, {}) != []


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ({"cvmfs": "relative/path"}, "is not an absolute host path"),
        ({"cvmfs": "/no/such/dir/here"}, "is not a directory"),
        ({"../etc": "/srv"}, "is not a valid name"),
        ({"etc": "/srv"}, "cannot mount over /etc"),
        (["/srv"], "must map names to host paths"),
    ],
)
def test_a_bad_readonly_mounts_option_is_the_sites_error(option: object, says: str) -> None:
    site = SiteInfo(name="s", endpoint="", options={"readonly_mounts": option})
    with pytest.raises(SiteError, match=r"^site s") as err:
        site_binds(site)
    assert says in str(err.value)


def test_on_this_engine_a_gpu_request_is_refused_before_anything_is_made(
    driver: DockerDriver, deployment: str, engine: docker.DockerClient
) -> None:
    if "nvidia" in (engine.info().get("Runtimes") or {}):
        pytest.skip("this engine has the NVIDIA runtime")
    with pytest.raises(SiteError, match=r"asks for 1 GPU.* has no NVIDIA runtime"):
        driver.create(vm_request(deployment, None, capabilities=_gpus(1)))
    assert labelled(engine, deployment) == []


def test_on_this_engine_the_readonly_mount_is_there_and_read_only(
    driver: DockerDriver, deployment: str, engine: docker.DockerClient, tmp_path
) -> None:
    (tmp_path / "sw").mkdir()
    (tmp_path / "sw" / "setup.sh").write_text("echo cygno\n")
    tmp_path.chmod(0o755)
    mounts = {"readonly_mounts": {"cvmfs": str(tmp_path)}}
    driver = DockerDriver(dataclasses.replace(driver.site, options=mounts))
    realized = driver.wait_ready(vm_request(deployment, None), driver.create(
        vm_request(deployment, None)), deadline())  # fmt: skip
    container = engine.containers.get(realized.physical_id)
    read = container.exec_run(["cat", "/cvmfs/sw/setup.sh"])
    assert read.exit_code == 0 and read.output == b"echo cygno\n"
    write = container.exec_run(["touch", "/cvmfs/new"])
    assert write.exit_code != 0 and b"Read-only file system" in write.output
    assert not (tmp_path / "new").exists()

"""A property over generated compose files (issue 11): whatever a user's file mixes of allowed
and forbidden keys and values, nothing the local site creates ever carries a host namespace,
a privilege, a bind mount, another deployment's volume or network, a foreign logging driver,
or a port outside 127.0.0.1 and the cap.

The first test runs the policy alone on many files. The second runs a bounded number through
the real driver and engine, twice: with the real first line, and with a first line that lets
everything through (a bug upstream), where the second line (``created_policy``) alone must
catch what Docker made before it starts. The invariants are checked here on ``docker
inspect`` output, independently of the code under test.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cumulo.drivers.base import NodeRequest, SiteInfo
from cumulo.drivers.docker import DockerDriver
from cumulo.drivers.docker import compose as compose_module
from cumulo.drivers.docker.compose_policy import ComposeContext, ComposePolicy, check
from cumulo.drivers.docker.ports import LOCALHOST, MAX_PUBLISHED_PORTS
from cumulo.errors import SiteError

pytestmark = pytest.mark.e2e

IMAGE = "cumulo/httpd:1"
VICTIM = f"victim-{uuid.uuid4().hex[:8]}"  # another deployment's volume, network, container
PROJECT_LABEL = "com.docker.compose.project"
BAD_LOGGING = {"driver": "syslog", "options": {"syslog-address": "tcp://127.0.0.1:9"}}

services = st.fixed_dictionaries(
    {"image": st.just(IMAGE)},
    optional={
        "privileged": st.booleans(),
        "network_mode": st.sampled_from(
            ["host", "bridge", "none", "service:s0", VICTIM, f"container:{VICTIM}"]
        ),
        "pid": st.sampled_from(["host", f"container:{VICTIM}"]),
        "ipc": st.sampled_from(["host", "private"]),
        "cap_add": st.just(["SYS_ADMIN"]),
        "devices": st.just(["/dev/null:/dev/x"]),
        "security_opt": st.just(["seccomp=unconfined"]),
        "volumes": st.lists(
            st.sampled_from(
                [
                    "data:/data",
                    "/anon",
                    "/:/host",
                    "./x:/x",
                    f"{VICTIM}:/v",
                    "/var/run/docker.sock:/s",
                    {"type": "bind", "source": "/etc", "target": "/e"},
                ]
            ),
            max_size=2,
            unique_by=str,
        ),
        "networks": st.sampled_from([["back"], [VICTIM], ["default"]]),
        "logging": st.sampled_from(
            [BAD_LOGGING, {"driver": "none"}, {"options": {"max-size": "1m"}}]
        ),
        "ports": st.sampled_from(
            [["80"], ["0.0.0.0:0:80"], ["20000-20119:20000-20119"], [{"target": 80}]]
        ),
        "labels": st.sampled_from([{"team": "x"}, {"cumulo.deployment": VICTIM}]),
    },
)
# what a well-behaved file uses: most generated files mix these with the forbidden ones
clean_services = st.fixed_dictionaries(
    {"image": st.just(IMAGE)},
    optional={
        "volumes": st.sampled_from([["data:/data"], ["/anon"]]),
        "networks": st.just(["back"]),
        "logging": st.just({"options": {"max-size": "1m"}}),
        "ports": st.sampled_from([["80"], ["8080-8081:80-81"], [{"target": 80}]]),
        "labels": st.just({"team": "x"}),
    },
)
volumes = st.sampled_from([
    {"data": {}}, {"data": {"name": VICTIM}}, {"data": {"external": True}},
    {"data": {"external": {"name": VICTIM}}}, {"data": {"driver": "nfs"}},
    {"data": {"driver_opts": {"type": "none", "o": "bind", "device": "/"}}},
])  # fmt: skip
networks = st.sampled_from(
    [{"back": {}}, {"back": {"name": VICTIM}}, {"back": {"external": True}}, {}]
)
files = st.builds(
    lambda svcs, vols, nets: {"services": {f"s{i}": s for i, s in enumerate(svcs)},
                              "volumes": vols, "networks": nets},
    st.lists(st.one_of(clean_services, services), min_size=1, max_size=2),
    st.one_of(st.just({"data": {}}), volumes), st.one_of(st.just({"back": {}}), networks),
)  # fmt: skip


@settings(max_examples=300, deadline=None, database=None)
@given(files)
def test_the_policy_never_lets_a_forbidden_thing_through(doc: dict[str, Any]) -> None:
    ctx = ComposeContext("app", "s", Path("/nowhere"), {"cumulo.deployment": "d"},
                         lambda image: True, "json-file", {})  # fmt: skip
    try:
        out = check(doc, ComposePolicy(), ctx)
    except SiteError:
        return
    for service in out["services"].values():
        assert not service.get("privileged") and not {"cap_add", "devices", "security_opt",
                                                      "pid"} & set(service)  # fmt: skip
        assert str(service.get("network_mode", "none")) in ("none", "service:s0")
        assert service["logging"]["driver"] == "json-file"
        assert all(p.startswith(f"{LOCALHOST}:") for p in service["ports"])
        for mount in service.get("volumes", []):
            assert isinstance(mount, str) and mount.split(":")[0] in ("data", "/anon"), mount
        assert service["labels"]["cumulo.deployment"] == "d"
    for kind in ("volumes", "networks"):
        for spec in (out.get(kind) or {}).values():
            assert not {"name", "external", "driver_opts"} & set(spec), spec


# -- on the real engine -------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> docker.DockerClient:
    try:
        client = docker.from_env()
        client.images.get(IMAGE)
    except Exception as exc:  # no engine, or not the site's images
        pytest.skip(f"needs the real Docker engine with the site's images: {exc}")
    return client


@pytest.fixture(scope="module")
def victim(engine: docker.DockerClient) -> Iterator[None]:
    """Another deployment's volume, network and (stopped) container, all named ``VICTIM``."""
    labels = {"cumulo.deployment": VICTIM, PROJECT_LABEL: f"cumulo-{VICTIM}-app-0"}
    made = [engine.volumes.create(VICTIM, labels=labels),
            engine.networks.create(VICTIM, labels=labels),
            engine.containers.create(IMAGE, name=VICTIM, labels=labels)]  # fmt: skip
    yield
    for obj in reversed(made):
        with contextlib.suppress(docker.errors.NotFound):
            obj.remove(force=True) if isinstance(obj, docker.models.containers.Container) \
                else obj.remove()  # fmt: skip


@pytest.fixture(scope="module")
def driver(engine: docker.DockerClient, victim: None, tmp_path_factory) -> DockerDriver:
    if compose_module.compose_command() is None:
        pytest.skip("no compose on this machine")
    work = tmp_path_factory.mktemp("property-site")
    return DockerDriver(SiteInfo("property", "unix:///var/run/docker.sock",
                                 options={"work_dir": str(work)}))  # fmt: skip


def _request(dep: str, doc: dict[str, Any]) -> NodeRequest:
    return NodeRequest(
        deployment_id=dep, node="app", index=0, type="tosca.nodes.indigo.DockerCompose",
        types=("tosca.nodes.indigo.DockerCompose",), capabilities={},
        properties={"project_name": "p", "docker_compose_file_content": yaml.safe_dump(doc)},
    )  # fmt: skip


def _no_first_line(doc: Any, policy: ComposePolicy, ctx: ComposeContext) -> dict[str, Any]:
    """A first line with a bug: it lets the file through, only labelling the services."""
    svcs = {n: {**s, "labels": dict(ctx.labels)} for n, s in doc["services"].items()}
    return {**doc, "services": svcs}


NOTHING: dict[str, list[Any]] = {"containers": [], "networks": [], "volumes": []}


def _remove_orphans(engine: docker.DockerClient, dep: str) -> None:
    """What a failing example left (so that a failure does not leak into the engine)."""
    for kind, objects in _made(engine, dep).items():
        for obj in objects:
            with contextlib.suppress(docker.errors.APIError):
                obj.remove(force=True) if kind == "containers" else obj.remove()


def _made(engine: docker.DockerClient, dep: str) -> dict[str, list[Any]]:
    project = f"cumulo-{dep}-app-0"
    by_project = {"label": f"{PROJECT_LABEL}={project}"}
    mine = {"label": f"cumulo.deployment={dep}"}
    return {
        "containers": engine.containers.list(all=True, filters=mine),
        "networks": engine.networks.list(filters=by_project),
        "volumes": engine.volumes.list(filters=by_project),
    }  # fmt: skip


def _assert_contained(engine: docker.DockerClient, dep: str, container: Any) -> None:
    """The invariants, on what Docker made, by this test's own reading of ``docker inspect``."""
    project = f"cumulo-{dep}-app-0"
    host = container.attrs["HostConfig"]
    assert not host["Privileged"] and not host.get("CapAdd") and not host.get("Devices")
    for key in ("NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode"):
        mode = str(host.get(key) or "")
        assert mode not in ("host", "bridge") and not mode.startswith("container:"), (key, mode)
    assert not [o for o in host.get("SecurityOpt") or [] if "unconfined" in o]
    assert host["LogConfig"]["Type"] == "json-file"
    bindings = [b for bs in (host.get("PortBindings") or {}).values() for b in bs or []]
    assert all(b["HostIp"] == LOCALHOST for b in bindings) and len(bindings) <= MAX_PUBLISHED_PORTS
    for mount in container.attrs["Mounts"]:
        assert mount["Type"] in ("volume", "tmpfs"), mount
        if mount["Type"] == "volume":
            labels = engine.volumes.get(mount["Name"]).attrs.get("Labels") or {}
            assert labels.get(PROJECT_LABEL, project) == project, mount  # own, or anonymous
            assert mount["Name"] != VICTIM
    for name in container.attrs["NetworkSettings"]["Networks"]:
        labels = engine.networks.get(name).attrs.get("Labels") or {}
        assert labels.get(PROJECT_LABEL) == project, name


@pytest.mark.parametrize("first_line", ["real", "buggy"])
def test_nothing_created_breaks_the_site_policy(
    engine: docker.DockerClient, driver: DockerDriver, monkeypatch, first_line: str
) -> None:
    if first_line == "buggy":
        monkeypatch.setattr(compose_module, "check", _no_first_line)

    seen: list[str] = []

    @settings(max_examples=15, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(files)
    def one(doc: dict[str, Any]) -> None:
        dep = str(uuid.uuid4())
        try:
            driver.create(_request(dep, doc))
            seen.append("created")
        except SiteError as exc:
            seen.append("second line" if "Docker created" in str(exc) else "first line or compose")
            left = _made(engine, dep)
            _remove_orphans(engine, dep)
            assert left == NOTHING  # a refusal leaves nothing behind
            return
        try:
            for container in _made(engine, dep)["containers"]:
                container.reload()
                _assert_contained(engine, dep, container)
        finally:
            driver.delete_deployment(dep)
            _remove_orphans(engine, dep)
        assert _made(engine, dep) == NOTHING

    one()
    # the examples (derandomized: the same on every run) reach every path
    assert "created" in seen and "first line or compose" in seen, seen
    assert first_line == "real" or "second line" in seen, seen

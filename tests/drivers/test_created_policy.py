"""The second line on the real engine: containers made (not started) with what the first
line should have refused are caught by inspecting what Docker actually created."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import docker
import pytest

from cumulo.drivers.docker.compose_policy import ComposePolicy
from cumulo.drivers.docker.created_policy import (
    Scope,
    SiteRules,
    check_created,
    site_rules,
    violations,
)
from cumulo.drivers.docker.ports import MAX_PUBLISHED_PORTS
from cumulo.errors import SiteError

pytestmark = pytest.mark.e2e
IMAGE = "cumulo/httpd:1"


@pytest.fixture
def made(engine: docker.DockerClient, site_images: None) -> Iterator[list[Any]]:
    """Objects a test makes; all removed afterwards."""
    objects: list[Any] = []
    yield objects
    for obj in reversed(objects):
        with contextlib.suppress(docker.errors.NotFound):
            obj.remove(force=True) if hasattr(obj, "exec_run") else obj.remove()


def _broken(engine: docker.DockerClient, made: list[Any], scope: Scope | None = None,
            **kwargs: Any) -> str:  # fmt: skip
    container = engine.containers.create(IMAGE, labels={"cumulo.deployment": "d"}, **kwargs)
    made.append(container)
    scope = scope or Scope("d", shared_networks=frozenset({"bridge"}),
                           containers=frozenset({container.id}))  # fmt: skip
    rules = site_rules(engine, ComposePolicy())
    with pytest.raises(SiteError) as caught:
        check_created(engine, "n", "s", [container.id], scope, rules)
    assert engine.containers.get(container.id).status == "created"  # never started
    return str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"privileged": True}, "Privileged is set"),
        ({"cap_add": ["SYS_ADMIN"]}, "CapAdd is ['SYS_ADMIN']"),
        ({"network_mode": "host"}, "NetworkMode is 'host'"),
        ({"pid_mode": "host"}, "PidMode is 'host'"),
        ({"ipc_mode": "host"}, "IpcMode is 'host'"),
        ({"userns_mode": "host"}, "UsernsMode is 'host'"),
        ({"uts_mode": "host"}, "UTSMode is 'host'"),
        ({"devices": ["/dev/null:/dev/x"]}, "Devices is"),
        ({"security_opt": ["seccomp=unconfined"]}, "SecurityOpt 'seccomp=unconfined'"),
        ({"volumes": {"/": {"bind": "/host", "mode": "rw"}}}, "bind mount of / is outside"),
        ({"log_config": {"type": "syslog", "config": {"syslog-address": "tcp://127.0.0.1:9"}}},
         "logging driver 'syslog' is not the site's"),
        ({"ports": {"80/tcp": ("0.0.0.0", None)}}, "published on 0.0.0.0, not 127.0.0.1"),
        ({"ports": {f"{p}/tcp": ("127.0.0.1", None) for p in range(MAX_PUBLISHED_PORTS + 1)}},
         f"{MAX_PUBLISHED_PORTS + 1} host ports published"),
    ],
)  # fmt: skip
def test_each_rule_is_caught_on_what_docker_made(engine, made, kwargs, rule) -> None:
    text = _broken(engine, made, **kwargs)
    assert text.startswith("node n: the container ") and rule in text, text
    assert "breaks the policy of site s" in text


def test_another_deployments_volume_and_network_are_caught(engine, made) -> None:
    other = {"cumulo.deployment": f"other-{uuid.uuid4()}"}
    volume = engine.volumes.create(f"victim-{uuid.uuid4()}", labels=other)
    network = engine.networks.create(f"victim-{uuid.uuid4()}", labels=other)
    made += [volume, network]
    text = _broken(engine, made, volumes={volume.name: {"bind": "/d", "mode": "rw"}},
                   network=network.name)  # fmt: skip
    assert f"volume '{volume.name}' is not one of this deployment's" in text
    assert f"network '{network.name}' is not one of this deployment's" in text
    # and the engine's shared bridge is refused to a compose project
    compose_scope = Scope("d", project="cumulo-d-app-0")
    assert "network 'bridge'" in _broken(engine, made, compose_scope)


def test_a_plain_container_passes(engine, made) -> None:
    mine = engine.volumes.create(f"mine-{uuid.uuid4()}", labels={"cumulo.deployment": "d"})
    made.append(mine)
    container = engine.containers.create(
        IMAGE, volumes={mine.name: {"bind": "/d", "mode": "rw"}},
        ports={"80/tcp": ("127.0.0.1", None)},
        log_config={"type": "json-file", "config": {"max-size": "1m"}},
    )  # fmt: skip
    made.append(container)
    scope = Scope("d", shared_networks=frozenset({"bridge"}), containers=frozenset({container.id}))
    check_created(engine, "n", "s", [container.id], scope, site_rules(engine, ComposePolicy()))


def test_what_the_admin_relaxed_is_let_through(engine, made) -> None:
    container = engine.containers.create(IMAGE, privileged=True, cap_add=["NET_ADMIN"])
    made.append(container)
    scope = Scope("d", shared_networks=frozenset({"bridge"}), containers=frozenset({container.id}))
    relaxed = ComposePolicy(allow_privileged=True, extra_service_keys=frozenset({"cap_add"}))
    check_created(engine, "n", "s", [container.id], scope, site_rules(engine, relaxed))
    half = ComposePolicy(allow_privileged=True)
    with pytest.raises(SiteError, match="CapAdd is \\['NET_ADMIN'\\]"):
        check_created(engine, "n", "s", [container.id], scope, site_rules(engine, half))


def test_a_logging_address_option_is_caught() -> None:
    """Docker refuses address options on json-file itself; on a site whose driver takes one,
    only the site's options pass (pure: over an inspect payload)."""
    rules = SiteRules(log_driver="syslog", log_options=frozenset({"max-size"}))
    log = {"Type": "syslog", "Config": {"syslog-address": "tcp://127.0.0.1:9"}}
    attrs = {"HostConfig": {"LogConfig": log}}
    assert violations(attrs, Scope("d"), rules, {}, {}) == [
        "logging options ['syslog-address'] are not allowed"
    ]

"""Attacks through a DockerCompose node, by mallory (a non-admin user) over the API, against a
real ``cumulo serve`` and the real Docker engine (issue 11, classes 1, 3, 4, 6, 7, 8).

Each attack asserts on the host (marker files, a listener that must hear nothing, ``docker
inspect`` of what was made, the bytes under the data directory), on a refusal naming the
rule, and that nothing of a refused deployment is left. A compose file that needs none of
this still runs unchanged (the catalogue's compose-counter).
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from attack_site import TOSCA_HEADER, SharedSite, docker_json
from e2e_helpers import labelled

from cumulo import catalogue

pytestmark = pytest.mark.e2e

TEMPLATE = (
    TOSCA_HEADER
    + """
  inputs:
    compose: {type: string}
    variables: {type: list, default: [], entry_schema: {type: map, entry_schema: {type: string}}}
    db_password: {type: string, default: ""}
  node_templates:
    app:
      type: tosca.nodes.indigo.DockerCompose
      properties:
        project_name: app
        docker_compose_file_content: { get_input: compose }
        environment_variables: { get_input: variables }
"""
)
PASSWORD_TEMPLATE = TEMPLATE.replace(
    "environment_variables: { get_input: variables }",
    "environment_variables: [{DB_PASSWORD: { get_input: db_password }}]",
)


def compose(services: dict[str, Any], **top: Any) -> str:
    return yaml.safe_dump({"services": services, **top}, sort_keys=False)


def web(**extra: Any) -> dict[str, Any]:
    return {"image": "cumulo/httpd:1", **extra}


def leftovers(dep_id: str) -> dict[str, list[str]]:
    """Everything of the deployment still on the engine: by its label, and compose's networks
    and volumes by their project (``cumulo-<deployment>-...``)."""
    found = {kind: labelled(kind, dep_id) for kind in ("container", "volume", "network")}
    for kind in ("volume", "network"):
        args = ["docker", kind, "ls", "-q", "--filter", "label=com.docker.compose.project"]
        done = subprocess.run(args, capture_output=True, text=True, check=True)
        for name in done.stdout.split():
            project = docker_json(kind, "inspect", name)[0]["Labels"]["com.docker.compose.project"]
            if project.startswith(f"cumulo-{dep_id}"):
                found[kind].append(name)
    return {k: v for k, v in found.items() if v}


def refused(site: SharedSite, content: str, *rules: str, variables: Any = None) -> str:
    """Deploy as mallory; it must fail naming every rule and leave nothing behind."""
    body = site.deploy("mallory", TEMPLATE, {"compose": content, "variables": variables or []})
    reason = body.get("statusReason") or ""
    try:
        assert body["status"] == "CREATE_FAILED", body
        for rule in rules:
            assert rule in reason, reason
        assert leftovers(body["uuid"]) == {}
    finally:
        site.remove("mallory", body["uuid"])
    return reason


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on 127.0.0.1: its port, and what it received (must stay empty)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    heard: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            heard.append(conn.recv(1024) or b"(connected)")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], heard
    stop.set()
    thread.join(2)
    server.close()


# -- 1. the compose process's environment ------------------------------------------------


def test_user_variables_never_reach_the_compose_process(
    shared_site: SharedSite, tmp_path: Path, listener: tuple[int, list[bytes]]
) -> None:
    port, heard = listener
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil"
    (evil / "bin").mkdir(parents=True)
    for tool in ("docker-compose", "docker", "python3", "docker-credential-evil"):
        script = evil / "bin" / tool
        script.write_text(f"#!/bin/sh\ntouch {marker}-{tool}\n")
        script.chmod(0o755)
    (evil / "sitecustomize.py").write_text(f"open({str(marker) + '-python'!r}, 'w')\n")
    (evil / ".docker").mkdir()
    (evil / ".docker" / "config.json").write_text(json.dumps({"credsStore": "evil"}))
    (evil / ".env").write_text("COMPOSE_PROJECT_NAME=alice\n")
    variables = [
        {"PATH": f"{evil}/bin"}, {"HOME": str(evil)}, {"PYTHONPATH": str(evil)},
        {"PYTHONSTARTUP": str(evil / "sitecustomize.py")}, {"PYTHONHOME": str(evil)},
        {"LD_PRELOAD": str(evil / "evil.so")}, {"DOCKER_HOST": f"tcp://127.0.0.1:{port}"},
        {"DOCKER_CONFIG": str(evil / ".docker")}, {"COMPOSE_FILE": str(evil / "x.yml")},
        {"COMPOSE_PROJECT_NAME": "alice"}, {"GREETING": "hello $USER"},
    ]  # fmt: skip
    content = compose({"w": web(environment=["GREETING", "PATH_FROM_HOST", "HOME"])})
    body = shared_site.deploy("mallory", TEMPLATE, {"compose": content, "variables": variables})
    try:
        assert body["status"] == "CREATE_COMPLETE", body.get("statusReason")
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("pwned")) == []
        assert heard == []  # the engine was reached only at the site's endpoint
        (container,) = labelled("container", body["uuid"])
        env = docker_json("inspect", container)[0]["Config"]["Env"]
        # the variables feed the containers' environment, literally, and nothing of the
        # compose process's own environment passes through
        assert "GREETING=hello $USER" in env and "HOME=" + str(evil) in env
        assert not any(e.startswith("PATH_FROM_HOST") for e in env)
        labels = docker_json("inspect", container)[0]["Config"]["Labels"]
        assert labels["com.docker.compose.project"].startswith(f"cumulo-{body['uuid']}")
    finally:
        shared_site.remove("mallory", body["uuid"])
    assert leftovers(body["uuid"]) == {}


# -- 3. bind mounts (through symlinks) ---------------------------------------------------


def test_host_binds_are_refused_even_through_the_projects_own_folder(
    shared_site: SharedSite,
) -> None:
    # one service writes a symlink to / into a folder, the other binds the link
    content = compose({
        "writer": web(volumes=["./shared:/shared"], command=["ln", "-s", "/", "/shared/root"]),
        "reader": web(volumes=["./shared/root:/host"], depends_on=["writer"]),
    })  # fmt: skip
    refused(shared_site, content, "services.writer.volumes[0]",
            "host bind mounts are not allowed on this site: use a named volume")  # fmt: skip
    for source in ("/", "/etc:/x", "/var/run/docker.sock:/s"):
        mount = source if ":" in source else f"{source}:/host"
        refused(shared_site, compose({"w": web(volumes=[mount])}), "services.w.volumes[0]")
    long_form = {"type": "bind", "source": "/", "target": "/host"}
    refused(shared_site, compose({"w": web(volumes=[long_form])}), "host bind mounts")
    refused(shared_site, compose({"w": web(env_file=["/etc/shadow"])}), "env files are host files")


# -- 4. another deployment's volumes and networks ----------------------------------------


@pytest.fixture(scope="module")
def alices(shared_site: SharedSite) -> Iterator[dict[str, str]]:
    """alice's running compose project with a volume and a network: their real names."""
    content = compose({"db": web(volumes=["data:/data"], networks=["back"])},
                      volumes={"data": {}}, networks={"back": {}})  # fmt: skip
    body = shared_site.deploy("alice", TEMPLATE, {"compose": content})
    assert body["status"] == "CREATE_COMPLETE", body.get("statusReason")
    (volume,) = labelled("volume", body["uuid"])
    (network,) = [
        n for n in labelled("network", body["uuid"])
        if docker_json("network", "inspect", n)[0]["Name"].endswith("_back")
    ]  # fmt: skip
    yield {"id": body["uuid"], "volume": volume,
           "network": docker_json("network", "inspect", network)[0]["Name"]}  # fmt: skip
    shared_site.remove("alice", body["uuid"])


def test_another_deployments_volume_cannot_be_named(shared_site: SharedSite, alices) -> None:
    victim = alices["volume"]
    mount = {"volumes": ["v:/stolen"]}
    attempts = {
        "volumes.v.name": {"v": {"name": victim}},
        "volumes.v.external": {"v": {"external": True, "name": victim}},
        "volumes.v.external:": {"v": {"external": {"name": victim}}},
        "only the local driver": {"v": {"driver": "nfs"}},
        "driver_opts": {"v": {"driver_opts": {"type": "none", "o": "bind", "device": "/"}}},
    }
    for rule, volumes in attempts.items():
        refused(shared_site, compose({"w": web(**mount)}, volumes=volumes), rule.rstrip(":"))
    refused(shared_site, compose({"w": web(volumes=[f"{victim}:/stolen"])}),
            f"volume {victim!r} is not declared")  # fmt: skip
    assert _users_of("volume", victim) == {alices["id"]}


def test_another_deployments_network_cannot_be_joined(shared_site: SharedSite, alices) -> None:
    victim = alices["network"]
    join = {"networks": ["n"]}
    refused(shared_site, compose({"w": web(**join)}, networks={"n": {"name": victim}}),
            "networks.n.name")  # fmt: skip
    refused(shared_site, compose({"w": web(**join)}, networks={"n": {"external": True}}),
            "networks.n.external")  # fmt: skip
    refused(
        shared_site, compose({"w": web(networks=[victim])}), f"network {victim!r} is not declared"
    )
    for mode in (victim, "bridge", "host", f"container:{labelled('container', alices['id'])[0]}"):
        refused(shared_site, compose({"w": web(network_mode=mode)}), f"network_mode: {mode}")
    refused(shared_site, compose({"w": web()}, name=f"cumulo-{alices['id']}-app-0"),
            "name: the project is named by cumulo")  # fmt: skip
    refused(shared_site, compose({"w": web(labels={"cumulo.deployment": alices["id"]})}),
            "the label 'cumulo.deployment' is reserved")  # fmt: skip
    assert _users_of("network", victim) == {alices["id"]}


def _users_of(kind: str, name: str) -> set[str]:
    """The deployments whose containers use a volume or join a network."""
    filters = {"volume": f"volume={name}", "network": f"network={name}"}[kind]
    done = subprocess.run(["docker", "ps", "-aq", "--filter", filters], capture_output=True,
                          text=True, check=True)  # fmt: skip
    return {docker_json("inspect", c)[0]["Config"]["Labels"]["cumulo.deployment"]
            for c in done.stdout.split()}  # fmt: skip


# -- 6. logging drivers; 7. port ranges --------------------------------------------------


def test_a_logging_driver_cannot_stream_to_the_hosts_network(
    shared_site: SharedSite, listener: tuple[int, list[bytes]]
) -> None:
    port, heard = listener
    for driver, option in (("syslog", "syslog-address"), ("gelf", "gelf-address"),
                           ("fluentd", "fluentd-address")):  # fmt: skip
        logging = {"driver": driver, "options": {option: f"tcp://127.0.0.1:{port}"}}
        rule = f"services.w.logging.driver: logging driver {driver!r} is not the site's"
        refused(shared_site, compose({"w": web(logging=logging)}), rule)
    tagged = {"driver": "json-file", "options": {"tag": "x", "labels": "y"}}
    refused(shared_site, compose({"w": web(logging=tagged)}), "options.labels, options.tag")
    time.sleep(0.5)
    assert heard == []


def test_a_port_range_beyond_the_cap_is_refused_before_anything_is_made(
    shared_site: SharedSite,
) -> None:
    refused(shared_site, compose({"w": web(ports=["20000-20119:20000-20119"])}),
            "120 host ports asked for, more than the 100 ports one node may publish")  # fmt: skip
    split = {f"s{i}": web(ports=[f"{21000 + i * 60}-{21059 + i * 60}:80-139"]) for i in range(2)}
    refused(shared_site, compose(split), "ports of all services: 120 host ports")


# -- 8. secrets on disk ------------------------------------------------------------------


def test_a_sensitive_value_is_written_in_clear_nowhere(shared_site: SharedSite) -> None:
    secret = f"s3cret-{uuid.uuid4().hex}"
    content = compose({"db": web(environment={"DB_PASSWORD": "${DB_PASSWORD}"})})
    params = {"compose": content, "db_password": secret}
    body = shared_site.deploy("mallory", PASSWORD_TEMPLATE, params)
    try:
        assert body["status"] == "CREATE_COMPLETE", body.get("statusReason")
        (container,) = labelled("container", body["uuid"])
        assert f"DB_PASSWORD={secret}" in docker_json("inspect", container)[0]["Config"]["Env"]
        in_clear = [str(p) for p in shared_site.data.rglob("*")
                    if p.is_file() and secret.encode() in p.read_bytes()]  # fmt: skip
        assert in_clear == []
        for folder in shared_site.data.rglob(f"cumulo-{body['uuid']}*"):
            assert folder.stat().st_mode & 0o077 == 0, oct(folder.stat().st_mode)
    finally:
        shared_site.remove("mallory", body["uuid"])


# -- what needs none of this still runs --------------------------------------------------


def test_the_compose_example_runs_unchanged(shared_site: SharedSite) -> None:
    template = catalogue.find("compose-counter").read_text()
    body = shared_site.deploy("mallory", template, {"app_title": "still counting"})
    try:
        assert body["status"] == "CREATE_COMPLETE", body.get("statusReason")
        url = body["outputs"]["web_url"]
        assert httpx.get(url, timeout=10).text == "still counting: 1 visits\n"
        for container in labelled("container", body["uuid"]):
            host = docker_json("inspect", container)[0]["HostConfig"]
            assert not host["Privileged"] and host["LogConfig"]["Type"] == "json-file"
    finally:
        shared_site.remove("mallory", body["uuid"])
    assert leftovers(body["uuid"]) == {}

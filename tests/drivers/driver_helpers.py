"""Node requests and look-ups shared by the Docker driver tests."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import docker

from cumulo.drivers.base import NodeRequest


def labelled(engine: docker.DockerClient, deployment: str) -> list[Any]:
    return engine.containers.list(all=True, filters={"label": f"cumulo.deployment={deployment}"})


COMPUTE = ("tosca.nodes.indigo.Compute", "tosca.nodes.Compute", "tosca.nodes.Root")
DOCKER_RUN = ("tosca.nodes.indigo.dockerRun", "tosca.nodes.SoftwareComponent", "tosca.nodes.Root")


def vm_request(deployment: str, public_key: str | None, **changes: Any) -> NodeRequest:
    fields: dict[str, Any] = {
        "deployment_id": deployment,
        "node": "server",
        "index": 0,
        "type": COMPUTE[0],
        "types": COMPUTE,
        "properties": {},
        "capabilities": {
            "host": {"num_cpus": 1, "mem_size": "512 MB"},
            "os": {"distribution": "debian", "version": "12"},
        },
        "ssh_user": "cloudadm",
        "ssh_public_keys": (public_key,) if public_key else (),
    }
    fields.update(changes)
    return NodeRequest(**fields)


def run_request(deployment: str, node: str = "app", **properties: Any) -> NodeRequest:
    return NodeRequest(
        deployment_id=deployment,
        node=node,
        index=0,
        type=DOCKER_RUN[0],
        types=DOCKER_RUN,
        properties={"docker_image": "cumulo/httpd", "docker_tag": "1", **properties},
        capabilities={"host": {"num_cpus": 0.5, "mem_size": "64 MB"}},
    )


def ssh(key: Path, port: int, user: str, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            "ssh",
            "-i",
            str(key),
            "-p",
            str(port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=10",
            f"{user}@127.0.0.1",
            command,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deadline(seconds: float = 30) -> float:
    return time.monotonic() + seconds

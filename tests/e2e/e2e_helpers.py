"""Helpers of the end-to-end tests: the real Docker engine and a real ``cumulo serve``."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

CUMULO = str(Path(sys.executable).with_name("cumulo"))
IMAGES = ("cumulo/httpd:1", "cumulo/vm-debian:12")


def docker_problem() -> str | None:
    """Why the real Docker engine cannot be used, or None."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        return "no Docker engine reachable (docker info failed)"
    for image in IMAGES:
        if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode:
            return f"image {image} missing: run scripts/build-images.sh"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def containers_of(dep_id: str) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=cumulo.deployment={dep_id}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()

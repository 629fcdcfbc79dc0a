"""Helpers of the end-to-end tests: the real Docker engine and a real ``cumulo serve``."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

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


@contextmanager
def running(args: list[str], log_path: Path) -> Iterator[subprocess.Popen]:
    """A cumulo subprocess, terminated (then killed) at the end."""
    with log_path.open("w") as log:
        proc = subprocess.Popen([CUMULO, *args], stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serving(data: Path, *extra: str) -> Iterator[str]:
    """``cumulo serve`` on a free port over ``data``; its URL once it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data / "serve.log"
    args = ["serve", "--port", str(port), "--data-dir", str(data), *extra]
    with running(args, log_path) as proc:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"cumulo serve exited {proc.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(url + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"cumulo serve did not answer in 60 s:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield url

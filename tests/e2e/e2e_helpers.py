"""Helpers of the end-to-end tests: the real Docker engine and a real ``cumulo serve``."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from cumulo import catalogue

CUMULO = str(Path(sys.executable).with_name("cumulo"))
IMAGES = ("cumulo/httpd:1", "cumulo/vm-debian:12", "cumulo/redis:7", "cumulo/counter-web:1")
# url -> the admin token its first start wrote to <data dir>/admin.token
_TOKENS: dict[str, str] = {}
# url -> the admin password the first start printed
ADMIN_PASSWORDS: dict[str, str] = {}


def auth(url: str) -> dict[str, str]:
    """Headers authenticating as the admin of the server ``url`` is on (any path on it)."""
    u = httpx.URL(url)
    return {"Authorization": f"Bearer {_TOKENS[f'{u.scheme}://{u.host}:{u.port}']}"}


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


def containers_of(dep_id: str, full: bool = False) -> list[str]:
    """Ids of the deployment's containers, running or not (``full``: untruncated)."""
    out = subprocess.run(
        [
            "docker",
            "ps",
            "-aq",
            *(["--no-trunc"] if full else []),
            "--filter",
            f"label=cumulo.deployment={dep_id}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def labelled(kind: str, dep_id: str) -> list[str]:
    """Names (or ids) of the ``container``/``volume``/``network`` objects of a deployment."""
    args = {"container": ["ps", "-aq"], "volume": ["volume", "ls", "-q"],
            "network": ["network", "ls", "-q"]}[kind]  # fmt: skip
    done = subprocess.run(["docker", *args, "--filter", f"label=cumulo.deployment={dep_id}"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.split()


def volumes_of(dep_id: str) -> list[str]:
    """Names of the deployment's volumes (labelled with it)."""
    return labelled("volume", dep_id)


def cumulo_env(database_url: str = "", **settings: str) -> dict[str, str]:
    """The environment of a cumulo subprocess: ours, with the database and CUMULO_* settings."""
    env = dict(os.environ)
    if database_url:
        env["CUMULO_DATABASE_URL"] = database_url
    env.update({f"CUMULO_{k.upper()}": v for k, v in settings.items()})
    return env


@contextmanager
def running(
    args: list[str], log_path: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """A cumulo subprocess, terminated (then killed) at the end."""
    with log_path.open("a") as log:
        proc = subprocess.Popen([CUMULO, *args], stdout=log, stderr=subprocess.STDOUT, env=env)
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
def serving(
    data: Path, *extra: str, env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[str]:
    """``cumulo serve`` on a free port over ``data``; its URL once it answers."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data / "serve.log"
    args = ["serve", "--port", str(port), "--data-dir", str(data), *extra]
    with running(args, log_path, env) as proc:
        wait_answering(url, proc, log_path)
        yield url


def wait_answering(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"cumulo serve exited {proc.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"cumulo serve did not answer in {timeout} s:\n{log_path.read_text()}")
        time.sleep(0.1)
    remember_admin(url, log_path)


def remember_admin(url: str, log_path: Path) -> None:
    """The admin token the server's start wrote beside its log (its data directory), and
    the password its first start printed (a restart prints none), as a newcomer finds them."""
    _TOKENS[url] = (log_path.parent / "admin.token").read_text().strip()
    printed = re.search(r"with password\s+(\S+)", log_path.read_text())
    if printed:
        ADMIN_PASSWORDS[url] = printed.group(1)


FINAL = {
    "CREATE_COMPLETE", "CREATE_FAILED", "UPDATE_COMPLETE", "UPDATE_FAILED", "DELETE_FAILED",
}  # fmt: skip


def catalogue_template(name: str) -> str:
    path = catalogue.find(name)
    assert path is not None, f"catalogue template {name} missing"
    return path.read_text()


def create_deployment(url: str, name: str, parameters: dict[str, Any]) -> str:
    r = httpx.post(
        f"{url}/deployments",
        headers=auth(url),
        json={"template": catalogue_template(name), "parameters": parameters},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "CREATE_IN_PROGRESS"
    return body["uuid"]


def wait_final(url: str, dep_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = httpx.get(f"{url}/deployments/{dep_id}", headers=auth(url), timeout=10).json()
        if body["status"] in FINAL:
            return body
        time.sleep(0.1)
    pytest.fail(f"deployment {dep_id} not final after {timeout} s: {body}")


def delete_and_wait_gone(url: str, dep_id: str, timeout: float = 60) -> None:
    r = httpx.delete(f"{url}/deployments/{dep_id}", headers=auth(url), timeout=10)
    assert r.status_code == 204, r.text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = httpx.get(f"{url}/deployments/{dep_id}", headers=auth(url), timeout=10)
        if r.status_code == 404:
            assert r.json()["message"] == f"The deployment <{dep_id}> doesn't exist"
            return
        assert r.json()["status"] == "DELETE_IN_PROGRESS", r.json()
        time.sleep(0.1)
    pytest.fail(f"deployment {dep_id} still there {timeout} s after DELETE")


def build_optional_image(target: str, image: str) -> None:
    """Build an image ``scripts/build-images.sh`` makes only when asked (``ml``, ``spark``),
    once per run (a no-op when up to date); skip without the real Docker engine."""
    from cumulo.drivers.docker_images import OPTIONAL_IMAGES, build_script

    if docker_problem():
        pytest.skip(f"end-to-end tests need the real Docker engine: {docker_problem()}")
    done = subprocess.run([str(build_script()), target], capture_output=True, text=True,
                          timeout=1800)  # fmt: skip
    assert done.returncode == 0, f"{OPTIONAL_IMAGES[image]} failed:\n{done.stderr}"


def cell_result(output: str) -> str:
    """What a notebook cell printed after ``RESULT `` (its last such line)."""
    lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no result in the cell's output: {output!r}"
    return lines[-1].removeprefix("RESULT ")

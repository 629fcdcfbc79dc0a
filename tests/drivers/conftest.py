"""Fixtures for the Docker driver tests: the real engine, the site's images, a
fresh deployment id whose containers are removed after each test (also on failure)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from cumulo.drivers.base import SiteInfo
from cumulo.drivers.docker import DockerDriver
from cumulo.drivers.docker_images import build_script

SITE = "test-local"
ENDPOINT = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")


@pytest.fixture(scope="session")
def engine() -> docker.DockerClient:
    try:
        client = docker.DockerClient(base_url=ENDPOINT)
        client.ping()
    except Exception as exc:  # any failure means: no engine to test against
        pytest.skip(f"Docker driver tests need the real Docker engine at {ENDPOINT}: {exc}")
    return client


@pytest.fixture(scope="session")
def site_images(engine: docker.DockerClient) -> None:
    """The local site's images, built (or found up to date) by the set-up script."""
    done = subprocess.run([str(build_script())], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"scripts/build-images.sh failed:\n{done.stderr}"


@pytest.fixture
def driver(site_images: None) -> DockerDriver:
    return DockerDriver(SiteInfo(name=SITE, endpoint=ENDPOINT))


@pytest.fixture
def deployment(engine: docker.DockerClient) -> Iterator[str]:
    """A deployment id; every container labelled with it is removed afterwards."""
    dep = str(uuid.uuid4())
    yield dep
    remove_everything_of(engine, dep)


@pytest.fixture
def make_deployment(engine: docker.DockerClient) -> Iterator[Callable[[], str]]:
    """Several deployment ids for one test, all cleaned up afterwards."""
    made: list[str] = []

    def make() -> str:
        made.append(str(uuid.uuid4()))
        return made[-1]

    yield make
    for dep in made:
        remove_everything_of(engine, dep)


def remove_everything_of(engine: docker.DockerClient, dep: str) -> None:
    """The deployment's containers, then its volumes and networks (compose's too)."""
    mine = {"label": f"cumulo.deployment={dep}"}
    for c in engine.containers.list(all=True, filters=mine):
        c.remove(force=True, v=True)
    for v in engine.volumes.list(filters=mine):
        v.remove(force=True)
    for n in engine.networks.list(filters=mine):
        n.remove()
    for n in engine.networks.list(filters={"label": "com.docker.compose.project"}):
        if n.attrs["Labels"]["com.docker.compose.project"].startswith(f"cumulo-{dep}"):
            n.remove()


@pytest.fixture(scope="session")
def ssh_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A fresh ed25519 key pair: (private key path, public key line)."""
    path = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test@cumulo", "-f", str(path)],
        check=True,
    )
    return path, path.with_suffix(".pub").read_text().strip()

"""The store's tests run on both databases: SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cumulo.config import Settings
from cumulo.drivers.docker_images import DEFAULT_IMAGES
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.drivers import DRIVER_CLASSES, register_driver_kind
from cumulo.engine.sites.local_site import probe_and_register


@pytest.fixture
def engine(tmp_path: Path, database_url: str) -> Iterator[Engine]:
    """An in-process engine (on the chosen database) with the real Docker engine as its site."""
    settings = Settings(data_dir=tmp_path, database_url=database_url, job_lease_seconds=0.5)
    eng = Engine(settings)
    problem = probe_and_register(
        eng.db, "local", "docker", eng.settings.docker_host, DEFAULT_IMAGES
    )
    if problem:
        pytest.skip(f"needs the real Docker engine: {problem}")
    if subprocess.run(
        ["docker", "image", "inspect", "cumulo/httpd:1"], capture_output=True
    ).returncode:
        pytest.skip("image cumulo/httpd:1 missing: run scripts/build-images.sh")
    yield eng
    eng.close()


@pytest.fixture
def sim_engine(tmp_path: Path) -> Iterator[Engine]:
    """An in-process engine (SQLite) that knows the ``sim`` site kind (simulated sites)."""
    register_driver_kind("sim", "cumulo.drivers.sim:SimDriver")
    eng = Engine(Settings(data_dir=tmp_path))
    yield eng
    eng.close()
    DRIVER_CLASSES.pop("sim", None)

"""The catalogue's services that run public images (a site must pull them), for tests."""

from __future__ import annotations

from typing import Any

import pytest

from cumulo.drivers.docker_images import DEFAULT_IMAGES
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.local_site import probe_and_register

# entry -> (parameters, an image it runs)
PUBLIC_IMAGE_ENTRIES: dict[str, tuple[dict[str, Any], str]] = {
    "htcondor": ({"pool_password": "pool-secret-1", "wn_num": 2}, "htcondor/cm:latest"),
    "elasticsearch-kibana": ({"elastic_password": "elastic-pw-1"}, "elasticsearch:7.17.21"),
    "rstudio": ({"rstudio_password": "rstudio-pw-1"}, "rocker/rstudio:4.4"),
    "galaxy": ({"admin_email": "admin@example.org"}, "bgruening/galaxy-stable:latest"),
}


def with_local_site(engine: Engine) -> Engine:
    """``engine`` with the machine's Docker engine registered as the site ``local``
    (which pulls nothing); skips without a Docker engine."""
    problem = probe_and_register(
        engine.db, "local", "docker", engine.settings.docker_host, DEFAULT_IMAGES
    )
    if problem:
        pytest.skip(f"needs the real Docker engine: {problem}")
    return engine
